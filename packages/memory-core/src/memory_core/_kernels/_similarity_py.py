"""Exact cosine top-k in plain numpy: the reference the compiled kernel must match."""

from __future__ import annotations

import operator

import numpy as np
import numpy.typing as npt

__all__ = ["best_first", "topk_cosine"]


def topk_cosine(
    matrix: npt.ArrayLike,
    query: npt.ArrayLike,
    k: int,
    *,
    assume_normalized: bool = False,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Return the ``k`` rows of ``matrix`` most cosine-similar to ``query``.

    See :func:`memory_core.similarity.topk_cosine` for the full contract.
    """
    k = operator.index(k)
    if k <= 0:
        raise ValueError(f"k must be a positive integer; got {k}")
    mat = np.asarray(matrix, dtype=np.float32, order="C")
    qry = np.asarray(query, dtype=np.float32, order="C")
    if mat.ndim != 2:
        raise ValueError(f"matrix must be 2-D (n, d); got ndim={mat.ndim}")
    if qry.ndim not in (1, 2):
        raise ValueError(f"query must be 1-D (d,) or 2-D (q, d); got ndim={qry.ndim}")
    if qry.shape[-1] != mat.shape[1]:
        raise ValueError(
            f"query dimension {qry.shape[-1]} does not match matrix dimension {mat.shape[1]}"
        )
    if not np.isfinite(qry).all():
        raise ValueError("query must contain only finite values")

    single = qry.ndim == 1
    queries = qry.reshape(1, -1) if single else qry
    n = mat.shape[0]
    kk = min(k, n)

    scores = _scores(mat, queries, assume_normalized=assume_normalized)
    out_indices, out_scores = best_first(scores, kk)
    if single:
        return out_indices[0], out_scores[0]
    return out_indices, out_scores


def _scores(
    mat: npt.NDArray[np.float32],
    queries: npt.NDArray[np.float32],
    *,
    assume_normalized: bool,
) -> npt.NDArray[np.float32]:
    dots: npt.NDArray[np.float32] = queries @ mat.T
    if assume_normalized:
        return dots
    row_norms = np.sqrt(np.einsum("ij,ij->i", mat, mat))
    query_norms = np.sqrt(np.einsum("ij,ij->i", queries, queries))
    # Same float32 expression as the kernel: dot / (|row| * |query|), 0 if either is 0.
    # A NaN norm (non-finite row) is not 0, so NaN reaches the score.
    denom = query_norms[:, None] * row_norms[None, :]
    zero = denom == 0
    safe_denom = np.where(zero, np.float32(1), denom)
    return np.where(zero, np.float32(0), dots / safe_denom).astype(np.float32, copy=False)


def best_first(
    scores: npt.NDArray[np.float32], k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Per row of ``scores``: the ``k`` best columns, higher score then lower index first."""
    nq, n = scores.shape
    # NaN (non-finite inputs) ranks with -inf so the order is total.
    keys = np.where(np.isnan(scores), np.float32(-np.inf), scores)
    out_indices = np.empty((nq, k), dtype=np.int64)
    out_scores = np.empty((nq, k), dtype=np.float32)
    for qi in range(nq):
        neg = -keys[qi]
        if k < n:
            # Every column tying the k-th best stays a candidate, so the
            # stable order below still decides ties by index.
            kth = np.partition(neg, k - 1)[k - 1]
            candidates = np.flatnonzero(neg <= kth)
        else:
            candidates = np.arange(n)
        order = candidates[np.lexsort((candidates, neg[candidates]))][:k]
        out_indices[qi] = order
        out_scores[qi] = scores[qi, order]
    return out_indices, out_scores
