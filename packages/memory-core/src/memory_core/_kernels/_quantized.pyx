"""Int8 quantization and quantized top-k (compiled kernel).

Semantics are defined by the numpy reference in ``_quantized_py.py``; the two
must agree exactly, tie order included. The dot products and the quantization
loop are C in ``_qdot.h``, built for several instruction sets and picked once
at import from what the CPU supports.
"""

import numpy as np

from libc.math cimport INFINITY
from libc.stdint cimport int8_t, int32_t, int64_t

from memory_core._kernels._quantized_py import check_topk_int8_args

from memory_core._kernels._topk_heap cimport heap_offer, heap_sort_best_first


cdef extern from "_qdot.h" nogil:
    ctypedef void (*mc_q_dots1_fn)(
        const int8_t* rows, Py_ssize_t n, Py_ssize_t d, const int8_t* query, int32_t* out
    ) noexcept nogil
    ctypedef void (*mc_q_dots4_fn)(
        const int8_t* rows,
        Py_ssize_t n,
        Py_ssize_t d,
        const int8_t* query,
        int32_t* out,
        Py_ssize_t stride,
    ) noexcept nogil
    ctypedef Py_ssize_t (*mc_q_quantize_fn)(
        const float* x, Py_ssize_t n, Py_ssize_t d, int8_t* codes, float* scales
    ) noexcept nogil
    ctypedef struct mc_q_isa:
        const char* name
        mc_q_dots1_fn dots1
        mc_q_dots4_fn dots4
        mc_q_quantize_fn quantize
    const mc_q_isa* mc_q_isas
    int MC_Q_N_ISAS
    int mc_q_isa_supported(int index)
    int mc_q_isa_pick()


# Rows per block. A block's int32 dots (four queries' worth in a batch) stay
# in L1, and in a batch the block's rows stay in L2 while every query visits
# them, so memory is read once for the whole batch. A multiple of 8 keeps the
# kernels on their four-row and two-row paths.
cdef Py_ssize_t _BLOCK_BYTES = 256 * 1024
cdef Py_ssize_t _MAX_BLOCK_ROWS = 1024

# Index into mc_q_isas of the build in use: the fastest this CPU runs.
cdef int _active = mc_q_isa_pick()


def _isas():
    """Names of the instruction-set builds this machine can run, slowest first."""
    return tuple(
        mc_q_isas[i].name.decode("ascii")
        for i in range(MC_Q_N_ISAS)
        if mc_q_isa_supported(i)
    )


def _isa():
    """Name of the build in use."""
    return mc_q_isas[_active].name.decode("ascii")


def _use_isa(name):
    """Switch to the build ``name`` (tests and benchmarks); return the previous name.

    Raises:
        ValueError: ``name`` is unknown or this CPU cannot run it.
    """
    global _active
    cdef int i
    for i in range(MC_Q_N_ISAS):
        if mc_q_isas[i].name.decode("ascii") == name:
            if not mc_q_isa_supported(i):
                raise ValueError(f"instruction set {name!r} is not supported on this CPU")
            previous = _isa()
            _active = i
            return previous
    raise ValueError(f"unknown instruction set {name!r}; expected one of {_isas()}")


def quantize_rows(matrix):
    """Quantize every row to int8 with its own scale: ``row ≈ scale * codes``.

    See :func:`memory_core.similarity.quantize_rows` for the full contract.
    """
    mat = np.asarray(matrix, dtype=np.float32, order="C")
    if mat.ndim != 2:
        raise ValueError(f"matrix must be 2-D (n, d); got ndim={mat.ndim}")
    codes = np.empty((mat.shape[0], mat.shape[1]), dtype=np.int8)
    scales = np.empty(mat.shape[0], dtype=np.float32)
    bad = _quantize(mat, codes, scales, mc_q_isas[_active].quantize)
    if bad >= 0:
        raise ValueError(f"matrix must contain only finite values; row {bad} does not")
    return codes, scales


cdef Py_ssize_t _quantize(
    const float[:, ::1] mat,
    int8_t[:, ::1] codes,
    float[::1] scales,
    mc_q_quantize_fn quantize,
):
    cdef Py_ssize_t n = mat.shape[0]
    cdef Py_ssize_t d = mat.shape[1]
    cdef Py_ssize_t bad
    if n == 0 or d == 0:
        scales[:] = 0
        return -1
    with nogil:
        bad = quantize(&mat[0, 0], n, d, &codes[0, 0], &scales[0])
    return bad


def topk_int8(codes, scales, query, k):
    """Return the ``k`` rows whose quantized dot product with ``query`` is highest.

    See :func:`memory_core.similarity.topk_int8` for the full contract.
    """
    args = check_topk_int8_args(codes, scales, query, k)
    cdef Py_ssize_t n = args.codes.shape[0]
    cdef Py_ssize_t d = args.codes.shape[1]
    cdef Py_ssize_t nq = args.queries.shape[0]
    cdef Py_ssize_t kk = min(args.k, n)
    out_indices = np.zeros((nq, kk), dtype=np.int64)
    out_scores = np.zeros((nq, kk), dtype=np.float32)
    if kk > 0 and nq > 0:
        query_codes, query_scales = quantize_rows(args.queries)
        block_rows = min(_MAX_BLOCK_ROWS, max(8, _BLOCK_BYTES // max(1, d) // 8 * 8), n)
        _run(
            args.codes,
            args.scales,
            query_codes,
            query_scales,
            kk,
            np.empty((4, block_rows), dtype=np.int32),
            np.empty(nq, dtype=np.intp),
            np.empty(nq, dtype=np.float32),
            out_scores,
            out_indices,
        )
    if args.single:
        return out_indices[0], out_scores[0]
    return out_indices, out_scores


cdef void _run(
    const int8_t[:, ::1] codes,
    const float[::1] scales,
    const int8_t[:, ::1] query_codes,
    const float[::1] query_scales,
    Py_ssize_t k,
    int32_t[:, ::1] dots,
    Py_ssize_t[::1] sizes,
    float[::1] thresholds,
    float[:, ::1] out_scores,
    int64_t[:, ::1] out_indices,
):
    cdef const mc_q_isa* isa = &mc_q_isas[_active]
    cdef Py_ssize_t d = codes.shape[1]
    # With d == 0 the code buffers are empty and &x[0, 0] would be out of
    # bounds; the scan then reads nothing through these but offsets them by 0.
    cdef int8_t no_data = 0
    cdef const int8_t* codes_ptr = &codes[0, 0] if d > 0 else &no_data
    cdef const int8_t* query_ptr = &query_codes[0, 0] if d > 0 else &no_data
    with nogil:
        _scan(
            isa,
            codes_ptr,
            &scales[0],
            codes.shape[0],
            d,
            query_ptr,
            &query_scales[0],
            query_codes.shape[0],
            k,
            &dots[0, 0],
            dots.shape[1],
            &sizes[0],
            &thresholds[0],
            &out_scores[0, 0],
            &out_indices[0, 0],
        )


cdef inline void _offer_block(
    const int32_t* dots,
    const float* scales,
    float query_scale,
    Py_ssize_t start,
    Py_ssize_t stop,
    Py_ssize_t k,
    Py_ssize_t* size,
    float* threshold,
    float* out_scores,
    int64_t* out_indices,
) noexcept nogil:
    cdef Py_ssize_t i
    cdef float score
    for i in range(start, stop):
        # The reference's float32 expression, in its order.
        score = <float>dots[i - start] * (scales[i] * query_scale)
        heap_offer(out_scores, out_indices, k, size, threshold, score, i)


cdef void _scan(
    const mc_q_isa* isa,
    const int8_t* codes,
    const float* scales,
    Py_ssize_t n,
    Py_ssize_t d,
    const int8_t* queries,
    const float* query_scales,
    Py_ssize_t nq,
    Py_ssize_t k,
    int32_t* dots,
    Py_ssize_t block_rows,
    Py_ssize_t* sizes,
    float* thresholds,
    float* out_scores,
    int64_t* out_indices,
) noexcept nogil:
    cdef Py_ssize_t qi, g, start, stop
    for qi in range(nq):
        sizes[qi] = 0
        thresholds[qi] = -INFINITY

    start = 0
    while start < n:
        stop = start + block_rows
        if stop > n:
            stop = n
        qi = 0
        while qi + 4 <= nq:
            isa.dots4(codes + start * d, stop - start, d, queries + qi * d, dots, block_rows)
            for g in range(4):
                _offer_block(
                    dots + g * block_rows,
                    scales,
                    query_scales[qi + g],
                    start,
                    stop,
                    k,
                    &sizes[qi + g],
                    &thresholds[qi + g],
                    out_scores + (qi + g) * k,
                    out_indices + (qi + g) * k,
                )
            qi += 4
        while qi < nq:
            isa.dots1(codes + start * d, stop - start, d, queries + qi * d, dots)
            _offer_block(
                dots,
                scales,
                query_scales[qi],
                start,
                stop,
                k,
                &sizes[qi],
                &thresholds[qi],
                out_scores + qi * k,
                out_indices + qi * k,
            )
            qi += 1
        start = stop

    for qi in range(nq):
        heap_sort_best_first(out_scores + qi * k, out_indices + qi * k, sizes[qi])
