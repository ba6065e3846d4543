"""Domain ml: training, evaluation, debugging and feature pipelines."""

from __future__ import annotations

from .._vocabulary_types import Domain
from ._constructors import stack, task_kind

__all__ = ["DOMAIN"]

_ML_ENTITIES = ("sentiment", "fraud", "churn", "image", "intent")
DOMAIN = Domain(
    name="ml",
    stacks=(
        stack(
            "python",
            "pytorch",
            ("python", "pip", "pytest", "nvidia-smi", "tensorboard", "wandb", "dvc", "jupyter"),
            (("dvc", "python", "wandb"), ("nvidia-smi", "python", "tensorboard")),
            ("cuda_oom", "dataset_missing", "py_module", "git_push_rejected"),
            ("val_loss", "pytest_pass"),
            ("train_{entity}.py", "configs/{entity}.yaml", "checkpoints/{entity}.pt"),
        ),
        stack(
            "python",
            "scikit-learn",
            ("python", "pip", "pytest", "jupyter", "mlflow", "dvc"),
            (("jupyter", "python", "mlflow"), ("dvc", "python", "pytest")),
            ("py_keyerror", "dataset_missing", "py_module"),
            ("metric", "pytest_pass"),
            ("models/{entity}.py", "notebooks/{entity}_eval.ipynb", "tests/test_{entity}.py"),
        ),
    ),
    kinds=(
        task_kind(
            "ml.train",
            "code_generation",
            ("training", "model"),
            "Model trained",
            _ML_ENTITIES,
            "Train the {entity} classifier on the labeled dataset",
            "Fine-tune a {entity} model and log metrics",
            "Write a training loop for the {entity} model",
        ),
        task_kind(
            "ml.eval",
            "analysis",
            ("evaluation", "model"),
            "Evaluation report written",
            _ML_ENTITIES,
            "Evaluate the {entity} model against the holdout set",
            "Compare {entity} model versions on precision and recall",
            "Analyze errors of the {entity} model",
        ),
        task_kind(
            "ml.debug",
            "debugging",
            ("training", "debugging"),
            "Training stable again",
            _ML_ENTITIES,
            "Debug exploding loss when training the {entity} model",
            "Fix out-of-memory errors while training the {entity} model",
            "Investigate data leakage in the {entity} pipeline",
        ),
        task_kind(
            "ml.features",
            "refactoring",
            ("features", "pipeline"),
            "Feature pipeline updated",
            _ML_ENTITIES,
            "Build a feature pipeline for {entity} prediction",
            "Refactor feature engineering for the {entity} model",
        ),
    ),
    subgoals=("prepare data", "train model", "evaluate", "register model"),
)
