"""Checks shared by the providers: the texts they accept and the rows they return."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..errors import EmbeddingError, ValidationError

__all__ = ["check_texts", "unit_rows"]


def check_texts(texts: Sequence[str]) -> list[str]:
    """``texts`` as a list, or :class:`ValidationError` when it is not a sequence of str.

    A bare ``str`` is refused: iterating it would embed one character per row.
    """
    if isinstance(texts, str | bytes) or not isinstance(texts, Sequence):
        raise ValidationError(
            f"texts must be a sequence of str, got {type(texts).__name__}", field="texts"
        )
    out = list(texts)
    for position, text in enumerate(out):
        if not isinstance(text, str):
            raise ValidationError(
                f"texts[{position}] must be str, got {type(text).__name__}", field="texts"
            )
    return out


def unit_rows(rows: npt.ArrayLike, *, count: int, dim: int, source: str) -> npt.NDArray[np.float32]:
    """``rows`` as a (count, dim) float32 array of unit rows (zero rows stay zero).

    Raises :class:`EmbeddingError` naming ``source`` when the shape is wrong or a
    value is not finite: a provider's bad output must never reach storage.
    """
    array = np.asarray(rows, dtype=np.float64)
    if array.shape != (count, dim):
        raise EmbeddingError(
            f"{source} returned an array of shape {array.shape}, expected ({count}, {dim})"
        )
    if not np.isfinite(array).all():
        raise EmbeddingError(f"{source} returned non-finite values (NaN or infinity)")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    # Normalize in float64 so the float32 result is unit to float32 precision.
    np.divide(array, norms, out=array, where=norms > 0.0)
    return array.astype(np.float32)
