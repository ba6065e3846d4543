"""Int8 quantization and quantized top-k in plain numpy: the reference the compiled kernel
must match.

Both implementations compute the same integers (int8 dot products) and the same
IEEE float operations in the same order, so their results are equal exactly,
tie order included. Argument checking lives here once and the compiled module
imports it.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ._similarity_py import best_first

__all__ = ["MAX_DIM", "TopkInt8Args", "check_topk_int8_args", "quantize_rows", "topk_int8"]

MAX_DIM = 65_536
"""Largest row length ``topk_int8`` accepts: its int32 sums cannot overflow up to here."""

Codes = npt.NDArray[np.int8]
Floats = npt.NDArray[np.float32]


class TopkInt8Args(NamedTuple):
    """Checked arguments of ``topk_int8``, converted to what the kernels read."""

    k: int
    codes: Codes
    scales: Floats
    queries: Floats
    single: bool


def quantize_rows(matrix: npt.ArrayLike) -> tuple[Codes, Floats]:
    """Quantize every row to int8 with its own scale: ``row ≈ scale * codes``.

    See :func:`memory_core.similarity.quantize_rows` for the full contract.
    """
    mat = np.asarray(matrix, dtype=np.float32, order="C")
    if mat.ndim != 2:
        raise ValueError(f"matrix must be 2-D (n, d); got ndim={mat.ndim}")
    n, d = mat.shape
    if d == 0:
        return np.zeros((n, 0), dtype=np.int8), np.zeros(n, dtype=np.float32)
    maxabs = np.abs(mat).max(axis=1)
    bad = np.flatnonzero(~np.isfinite(maxabs))
    if bad.size:
        raise ValueError(f"matrix must contain only finite values; row {bad[0]} does not")
    # float64 as in the kernel: 127 / maxabs overflows float32 for subnormal rows.
    top = maxabs.astype(np.float64)
    nonzero = top > 0
    inv = np.where(nonzero, 127.0 / np.where(nonzero, top, 1.0), 0.0)
    codes = np.clip(np.rint(mat * inv[:, None]), -127, 127).astype(np.int8)
    scales = (top / 127.0).astype(np.float32)
    return codes, scales


def check_topk_int8_args(
    codes: npt.ArrayLike, scales: npt.ArrayLike, query: npt.ArrayLike, k: int
) -> TopkInt8Args:
    """Validate and convert the arguments of ``topk_int8`` (no copy when already fit)."""
    k = operator.index(k)
    if k <= 0:
        raise ValueError(f"k must be a positive integer; got {k}")
    cod = np.asarray(codes)
    if cod.dtype != np.int8:
        raise TypeError(f"codes must be an int8 array; got dtype {cod.dtype}")
    if cod.ndim != 2:
        raise ValueError(f"codes must be 2-D (n, d); got ndim={cod.ndim}")
    cod = np.ascontiguousarray(cod)
    n, d = cod.shape
    scl = np.ascontiguousarray(scales, dtype=np.float32)
    if scl.shape != (n,):
        raise ValueError(f"scales must have shape ({n},) to match codes; got {scl.shape}")
    qry = np.asarray(query, dtype=np.float32, order="C")
    if qry.ndim not in (1, 2):
        raise ValueError(f"query must be 1-D (d,) or 2-D (q, d); got ndim={qry.ndim}")
    if qry.shape[-1] != d:
        raise ValueError(f"query dimension {qry.shape[-1]} does not match codes dimension {d}")
    if d > MAX_DIM:
        raise ValueError(f"dimension {d} is above the supported maximum {MAX_DIM}")
    if not np.isfinite(qry).all():
        raise ValueError("query must contain only finite values")
    single = qry.ndim == 1
    return TopkInt8Args(k, cod, scl, qry.reshape(1, -1) if single else qry, single)


def topk_int8(
    codes: npt.ArrayLike, scales: npt.ArrayLike, query: npt.ArrayLike, k: int
) -> tuple[npt.NDArray[np.int64], Floats]:
    """Return the ``k`` rows whose quantized dot product with ``query`` is highest.

    See :func:`memory_core.similarity.topk_int8` for the full contract.
    """
    args = check_topk_int8_args(codes, scales, query, k)
    n = args.codes.shape[0]
    kk = min(args.k, n)
    query_codes, query_scales = quantize_rows(args.queries)
    dots = query_codes.astype(np.int32) @ args.codes.astype(np.int32).T
    # The kernel's float32 expression, in its order: dot * (row scale * query scale).
    factors = args.scales[None, :] * query_scales[:, None]
    scores = dots.astype(np.float32) * factors
    out_indices, out_scores = best_first(scores, kk)
    if args.single:
        return out_indices[0], out_scores[0]
    return out_indices, out_scores
