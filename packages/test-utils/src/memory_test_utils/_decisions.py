"""Decision vocabulary: check/decision steps and the action taken on each branch."""

from __future__ import annotations

from ._vocabulary_types import Decision

__all__ = ["DECISIONS"]


def _d(
    name: str,
    tool: str,
    condition: str,
    if_yes: tuple[str, str],
    if_no: tuple[str, str],
    p_yes: float = 0.75,
) -> tuple[str, Decision]:
    decision = Decision(
        name=name, tool=tool, condition=condition, if_yes=if_yes, if_no=if_no, p_yes=p_yes
    )
    return name, decision


DECISIONS: dict[str, Decision] = dict(
    [
        _d(
            "pytest_pass",
            "pytest",
            "check if tests pass",
            ("git", "commit changes"),
            ("editor", "fix failing test"),
        ),
        _d(
            "jest_pass",
            "jest",
            "check if tests pass",
            ("git", "commit changes"),
            ("editor", "fix failing test"),
        ),
        _d(
            "vitest_pass",
            "vitest",
            "check if tests pass",
            ("git", "commit changes"),
            ("editor", "fix failing test"),
        ),
        _d(
            "cargo_pass",
            "cargo",
            "check if tests pass",
            ("git", "commit changes"),
            ("editor", "fix failing test"),
        ),
        _d(
            "go_pass",
            "go",
            "check if tests pass",
            ("git", "commit changes"),
            ("editor", "fix failing test"),
        ),
        _d(
            "ctest_pass",
            "ctest",
            "check if tests pass",
            ("git", "commit changes"),
            ("editor", "fix failing test"),
        ),
        _d("schema", "dbt", "verify schema", ("dbt", "run models"), ("editor", "update schema")),
        _d(
            "row_counts",
            "duckdb",
            "verify row counts match source",
            ("git", "commit changes"),
            ("psql", "deduplicate rows"),
            0.8,
        ),
        _d(
            "partitions",
            "hdfs",
            "verify output partitions exist",
            ("git", "commit changes"),
            ("spark-submit", "submit job"),
            0.8,
        ),
        _d(
            "migration",
            "alembic",
            "verify schema",
            ("alembic", "apply migrations"),
            ("editor", "update schema"),
        ),
        _d(
            "rollout",
            "kubectl",
            "check if rollout is healthy",
            ("git", "tag release"),
            ("kubectl", "rollback deployment"),
            0.8,
        ),
        _d(
            "destroy",
            "terraform",
            "check if plan destroys resources",
            ("editor", "add prevent_destroy guard"),
            ("terraform", "apply plan"),
            0.2,
        ),
        _d(
            "retry_hosts",
            "ansible-playbook",
            "decide whether to retry failed hosts",
            ("ansible-playbook", "rerun on failed hosts"),
            ("editor", "fix inventory"),
            0.6,
        ),
        _d(
            "val_loss",
            "python",
            "check if validation loss improved",
            ("wandb", "log checkpoint"),
            ("editor", "lower learning rate"),
            0.65,
        ),
        _d(
            "metric",
            "python",
            "check if accuracy beats baseline",
            ("mlflow", "register model"),
            ("editor", "tune hyperparameters"),
            0.6,
        ),
        _d(
            "findings",
            "semgrep",
            "verify no high severity findings",
            ("git", "open pull request"),
            ("editor", "patch vulnerable code"),
            0.7,
        ),
        _d(
            "image_clean",
            "trivy",
            "verify no critical vulnerabilities",
            ("cosign", "sign image"),
            ("docker", "build image"),
            0.7,
        ),
        _d(
            "app_launch",
            "adb",
            "check if app launches",
            ("git", "commit changes"),
            ("adb", "capture logcat"),
        ),
        _d(
            "ios_tests",
            "xcodebuild",
            "check if tests pass",
            ("fastlane", "upload beta build"),
            ("editor", "fix failing test"),
        ),
        _d(
            "flutter_analyze",
            "flutter",
            "check if analyzer is clean",
            ("git", "commit changes"),
            ("dart", "fix lints"),
        ),
        _d(
            "bundle",
            "vite",
            "verify bundle size under budget",
            ("git", "commit changes"),
            ("editor", "split lazy routes"),
            0.7,
        ),
        _d(
            "leaks",
            "valgrind",
            "check if memory leaks remain",
            ("editor", "free leaked buffers"),
            ("git", "commit changes"),
            0.3,
        ),
        _d(
            "retry",
            "curl",
            "decide whether to retry request",
            ("curl", "send request"),
            ("editor", "add retry with backoff"),
            0.5,
        ),
    ]
)
