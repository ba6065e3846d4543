"""Exact cosine similarity search over in-memory embedding matrices."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from . import _kernels

__all__ = ["normalize_rows", "topk_cosine"]


def topk_cosine(
    matrix: npt.ArrayLike,
    query: npt.ArrayLike,
    k: int,
    *,
    assume_normalized: bool = False,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Find the ``k`` rows of ``matrix`` with the highest cosine similarity to ``query``.

    The search is exact: every row is scored. Inputs are converted to
    C-contiguous float32 first (no copy when they already are).

    Args:
        matrix: Candidate vectors, shape ``(n, d)``.
        query: One query of shape ``(d,)`` or a batch of shape ``(q, d)``;
            must be finite.
        k: How many rows to return per query; values above ``n`` are clipped
            to ``n``.
        assume_normalized: Treat rows and queries as unit vectors and score by
            the plain dot product, skipping the norm work. Pass rows from
            :func:`normalize_rows` (and a normalized query) to use it.

    Returns:
        ``(indices, scores)``: int64 row indices and float32 scores, shape
        ``(min(k, n),)`` for a single query or ``(q, min(k, n))`` for a batch.
        Each result is ordered by score, highest first; equal scores are
        ordered by lower row index first. Score is
        ``dot / (|row| * |query|)``, and ``0.0`` when the row or the query is
        all zeros. When ``n == 0`` the arrays are empty.

    Raises:
        ValueError: ``k <= 0``; ``matrix`` is not 2-D; ``query`` is not 1-D or
            2-D; the query dimension differs from the matrix's; or ``query``
            holds a NaN or infinity.
        TypeError: ``k`` is not an integer.

    Notes:
        The matrix is not checked for non-finite values (that would cost a
        second pass over it); a row whose score comes out NaN ranks with
        ``-inf``, after every finite score, and is reported as NaN.
    """
    return _kernels.topk_cosine(matrix, query, k, assume_normalized=assume_normalized)


def normalize_rows(matrix: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Return a float32 copy of ``matrix`` with every row scaled to unit length.

    Rows that are all zeros stay all zeros. The result suits
    ``topk_cosine(..., assume_normalized=True)``.

    Args:
        matrix: Vectors, shape ``(n, d)``.

    Returns:
        A new C-contiguous float32 array of shape ``(n, d)``.

    Raises:
        ValueError: ``matrix`` is not 2-D.
    """
    out = np.array(matrix, dtype=np.float32, order="C", copy=True)
    if out.ndim != 2:
        raise ValueError(f"matrix must be 2-D (n, d); got ndim={out.ndim}")
    norms = np.sqrt(np.einsum("ij,ij->i", out, out))
    nonzero = norms > 0
    out[nonzero] /= norms[nonzero, None]
    return out
