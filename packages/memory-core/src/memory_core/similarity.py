"""Cosine similarity search over in-memory embedding matrices: exact, or int8-quantized.

:func:`topk_cosine` scores every float32 row exactly. For large matrices,
:func:`quantize_rows` keeps an int8 copy (a quarter of the bytes),
:func:`topk_int8` scans it, and :func:`search_quantized` re-ranks the int8
scan's best candidates exactly against the float32 rows.
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from . import _kernels

__all__ = [
    "QuantizedRows",
    "default_shortlist",
    "normalize_rows",
    "quantize_rows",
    "search_quantized",
    "topk_cosine",
    "topk_int8",
]


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


class QuantizedRows(NamedTuple):
    """Rows quantized to int8, one scale per row: ``row ≈ scales[i] * codes[i]``.

    Slicing both fields with the same leading-rows prefix (``codes[:n]``,
    ``scales[:n]``) gives the quantization of the first ``n`` rows, without a
    copy; :func:`topk_int8` and :func:`search_quantized` accept such views.
    """

    codes: npt.NDArray[np.int8]
    """Shape ``(n, d)``, C-contiguous, values in ``[-127, 127]``."""
    scales: npt.NDArray[np.float32]
    """Shape ``(n,)``: each row's largest absolute value divided by 127."""


def quantize_rows(matrix: npt.ArrayLike) -> QuantizedRows:
    """Quantize every row of ``matrix`` to int8 with its own symmetric scale.

    Each row is divided by ``scale = max(|row|) / 127`` and rounded to the
    nearest integer (ties to even), so its largest entry maps to ±127. A row of
    zeros gets zero codes and scale ``0``.

    Args:
        matrix: Vectors, shape ``(n, d)``; converted to float32 first.

    Returns:
        A :class:`QuantizedRows` of new arrays: codes ``(n, d)`` int8 and
        scales ``(n,)`` float32.

    Raises:
        ValueError: ``matrix`` is not 2-D, or holds a NaN or infinity (the
            message names the first such row).

    Notes:
        The compiled kernel is single-threaded, releases the GIL and quantizes
        1,000,000 × 384 rows in about 0.3 s.
    """
    codes, scales = _kernels.quantize_rows(matrix)
    return QuantizedRows(codes, scales)


def topk_int8(
    codes: npt.ArrayLike,
    scales: npt.ArrayLike,
    query: npt.ArrayLike,
    k: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Find the ``k`` quantized rows with the highest approximate dot product with ``query``.

    The query is quantized like a row (:func:`quantize_rows`); each row then
    scores ``float32(codes[i] · query_codes) * (scales[i] * query_scale)``,
    which approximates ``dot(row, query)``. The integer dot products are exact,
    so the result does not depend on the CPU or the instruction set used.

    Args:
        codes: Quantized rows, int8, shape ``(n, d)`` (for example
            ``QuantizedRows.codes``). Used without a copy when C-contiguous,
            which a leading-rows prefix ``codes[:n]`` is.
        scales: Row scales, shape ``(n,)``; converted to float32.
        query: One query of shape ``(d,)`` or a batch of shape ``(q, d)``;
            must be finite. Need not be normalized.
        k: How many rows to return per query; values above ``n`` are clipped
            to ``n``.

    Returns:
        ``(indices, scores)``: int64 row indices and float32 approximate
        scores, shape ``(min(k, n),)`` for a single query or
        ``(q, min(k, n))`` for a batch. Each result is ordered by score,
        highest first; equal scores are ordered by lower row index first. When
        ``n == 0`` the arrays are empty.

    Raises:
        TypeError: ``codes`` is not an int8 array, or ``k`` is not an integer.
        ValueError: ``k <= 0``; ``codes`` is not 2-D; ``scales`` does not have
            shape ``(n,)``; ``query`` is not 1-D or 2-D, its dimension differs
            from the codes', or it holds a NaN or infinity; or ``d`` is above
            65,536 (where the int32 sums could overflow).

    Notes:
        Scales are not checked for non-finite values; a score that comes out
        NaN ranks with ``-inf``, after every finite score. The scan is
        single-threaded and releases the GIL; a batch reads the rows from
        memory once for all its queries.
    """
    return _kernels.topk_int8(codes, scales, query, k)


def default_shortlist(k: int) -> int:
    """How many int8 candidates :func:`search_quantized` re-ranks by default: ``max(10 * k, 100)``.

    Measured on 100,000 × 384 unit rows (random, clustered, and anisotropic
    like real embeddings), the int8 top-10 alone has recall@10 of 0.90-0.98,
    and re-ranking a shortlist of 30 already gives 1.000; the default keeps a
    margin of three over that. Re-ranking 100 rows costs well under 0.1 ms.
    """
    return max(10 * k, 100)


def search_quantized(
    matrix: npt.ArrayLike,
    quantized: tuple[npt.ArrayLike, npt.ArrayLike],
    query: npt.ArrayLike,
    k: int,
    *,
    shortlist: int | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Find the ``k`` rows of ``matrix`` with the highest dot product with ``query``, fast.

    An int8 scan (:func:`topk_int8`) picks ``shortlist`` candidates, then
    their float32 rows are scored exactly and the best ``k`` returned. With
    unit rows (:func:`normalize_rows`) and a normalized query this is cosine
    similarity, like ``topk_cosine(..., assume_normalized=True)``, except
    that a row the int8 scan ranks below the shortlist is missed.

    Args:
        matrix: The rows, shape ``(n, d)``, assumed unit length; only the
            shortlisted rows are read (and converted to float32), so any
            layout or view works without a copy of the whole matrix.
        quantized: ``quantize_rows(matrix)`` (or the same prefix of it).
        query: One query of shape ``(d,)`` or a batch of shape ``(q, d)``,
            assumed normalized; must be finite.
        k: How many rows to return per query; values above ``n`` are clipped
            to ``n``.
        shortlist: How many int8 candidates to re-rank per query, at least
            ``k``; default :func:`default_shortlist` of ``k``.

    Returns:
        ``(indices, scores)``: int64 row indices and float32 exact scores
        ``dot(matrix[i], query)``, shape ``(min(k, n),)`` for a single query or
        ``(q, min(k, n))`` for a batch; highest score first, equal scores by
        lower row index first.

    Raises:
        TypeError: ``k`` or ``shortlist`` is not an integer, or the codes are
            not int8.
        ValueError: ``k <= 0``; ``shortlist < k``; ``matrix`` is not 2-D or
            its shape differs from the codes'; or any of :func:`topk_int8`'s
            argument errors.

    Notes:
        A re-ranked score that comes out NaN (a non-finite row) ranks with
        ``-inf`` and is reported as NaN.
    """
    k = operator.index(k)
    if k <= 0:
        raise ValueError(f"k must be a positive integer; got {k}")
    size = default_shortlist(k) if shortlist is None else operator.index(shortlist)
    if size < k:
        raise ValueError(f"shortlist must be at least k={k}; got {size}")
    # Neither dtype= nor order= here: a float64 or non-contiguous matrix would
    # be copied whole, and only the shortlisted rows are read (and converted).
    mat = np.asarray(matrix)
    if mat.ndim != 2:
        raise ValueError(f"matrix must be 2-D (n, d); got ndim={mat.ndim}")
    codes, scales = quantized
    if np.shape(codes) != mat.shape:
        raise ValueError(
            f"matrix shape {mat.shape} does not match quantized codes shape {np.shape(codes)}"
        )
    candidates, _ = _kernels.topk_int8(codes, scales, query, size)
    queries = np.atleast_2d(np.asarray(query, dtype=np.float32))
    indices, scores = _rerank(mat, np.atleast_2d(candidates), queries, k)
    if np.ndim(query) == 1:
        return indices[0], scores[0]
    return indices, scores


def _rerank(
    matrix: npt.NDArray[Any],
    candidates: npt.NDArray[np.int64],
    queries: npt.NDArray[np.float32],
    k: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Exact float32 dot products of each query's candidate rows; its best ``k`` of them."""
    # (q, shortlist, d): only these rows are read.
    rows = matrix[candidates].astype(np.float32, copy=False)
    exact = np.matmul(rows, queries[:, :, None])[:, :, 0]
    keys = np.where(np.isnan(exact), np.float32(-np.inf), exact)
    # lexsort: the last key is primary, so this is (-score, index) ascending.
    order = np.lexsort((candidates, -keys), axis=-1)[:, :k]
    indices = np.take_along_axis(candidates, order, axis=-1)
    scores = np.take_along_axis(exact, order, axis=-1)
    return indices, scores
