"""Exact cosine top-k over a float32 matrix (compiled kernel).

Semantics are defined by the numpy reference in ``_similarity_py.py``; the two
must agree, tie order included.
"""

import operator

import numpy as np

from libc.math cimport INFINITY, sqrtf
from libc.stdint cimport int64_t

from memory_core._kernels._topk_heap cimport heap_offer, heap_sort_best_first

# Rows scanned per block when several queries share one pass: 128 KiB of rows
# stays in L2 while every query of the batch visits it.
cdef Py_ssize_t _BLOCK_BYTES = 128 * 1024


cdef extern from *:
    """
    #include <string.h>

    #if defined(__GNUC__) || defined(__clang__)
    typedef float mc_sim_v4 __attribute__((vector_size(16)));

    static inline mc_sim_v4 mc_sim_load(const float *p) {
        mc_sim_v4 v;
        memcpy(&v, p, sizeof v);  /* rows need not be 16-byte aligned */
        return v;
    }

    static inline float mc_sim_hsum(mc_sim_v4 v) {
        return (v[0] + v[1]) + (v[2] + v[3]);
    }

    static inline float mc_sim_dot(const float *a, const float *b, Py_ssize_t d) {
        mc_sim_v4 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
        Py_ssize_t j = 0;
        float s;
        for (; j + 16 <= d; j += 16) {
            s0 += mc_sim_load(a + j) * mc_sim_load(b + j);
            s1 += mc_sim_load(a + j + 4) * mc_sim_load(b + j + 4);
            s2 += mc_sim_load(a + j + 8) * mc_sim_load(b + j + 8);
            s3 += mc_sim_load(a + j + 12) * mc_sim_load(b + j + 12);
        }
        for (; j + 4 <= d; j += 4) {
            s0 += mc_sim_load(a + j) * mc_sim_load(b + j);
        }
        s = mc_sim_hsum((s0 + s1) + (s2 + s3));
        for (; j < d; j++) {
            s += a[j] * b[j];
        }
        return s;
    }

    static inline float mc_sim_dot_sq(const float *a, const float *b, Py_ssize_t d,
                                      float *sq) {
        mc_sim_v4 s0 = {0}, s1 = {0}, t0 = {0}, t1 = {0}, x0, x1;
        Py_ssize_t j = 0;
        float s, t;
        for (; j + 8 <= d; j += 8) {
            x0 = mc_sim_load(a + j);
            x1 = mc_sim_load(a + j + 4);
            s0 += x0 * mc_sim_load(b + j);
            s1 += x1 * mc_sim_load(b + j + 4);
            t0 += x0 * x0;
            t1 += x1 * x1;
        }
        for (; j + 4 <= d; j += 4) {
            x0 = mc_sim_load(a + j);
            s0 += x0 * mc_sim_load(b + j);
            t0 += x0 * x0;
        }
        s = mc_sim_hsum(s0 + s1);
        t = mc_sim_hsum(t0 + t1);
        for (; j < d; j++) {
            s += a[j] * b[j];
            t += a[j] * a[j];
        }
        *sq = t;
        return s;
    }

    /* One row against four queries (b, b + d, b + 2d, b + 3d): each row load
       feeds four products, which is what makes batches cheaper per query. */
    static inline void mc_sim_dot4(const float *a, const float *b, Py_ssize_t d,
                                   float *out) {
        const float *b1 = b + d, *b2 = b + 2 * d, *b3 = b + 3 * d;
        mc_sim_v4 p0 = {0}, p1 = {0}, p2 = {0}, p3 = {0};
        mc_sim_v4 r0 = {0}, r1 = {0}, r2 = {0}, r3 = {0}, x0, x1;
        Py_ssize_t j = 0;
        for (; j + 8 <= d; j += 8) {
            x0 = mc_sim_load(a + j);
            x1 = mc_sim_load(a + j + 4);
            p0 += x0 * mc_sim_load(b + j);
            p1 += x0 * mc_sim_load(b1 + j);
            p2 += x0 * mc_sim_load(b2 + j);
            p3 += x0 * mc_sim_load(b3 + j);
            r0 += x1 * mc_sim_load(b + j + 4);
            r1 += x1 * mc_sim_load(b1 + j + 4);
            r2 += x1 * mc_sim_load(b2 + j + 4);
            r3 += x1 * mc_sim_load(b3 + j + 4);
        }
        for (; j + 4 <= d; j += 4) {
            x0 = mc_sim_load(a + j);
            p0 += x0 * mc_sim_load(b + j);
            p1 += x0 * mc_sim_load(b1 + j);
            p2 += x0 * mc_sim_load(b2 + j);
            p3 += x0 * mc_sim_load(b3 + j);
        }
        out[0] = mc_sim_hsum(p0 + r0);
        out[1] = mc_sim_hsum(p1 + r1);
        out[2] = mc_sim_hsum(p2 + r2);
        out[3] = mc_sim_hsum(p3 + r3);
        for (; j < d; j++) {
            out[0] += a[j] * b[j];
            out[1] += a[j] * b1[j];
            out[2] += a[j] * b2[j];
            out[3] += a[j] * b3[j];
        }
    }
    #else
    static float mc_sim_dot(const float *a, const float *b, Py_ssize_t d) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        Py_ssize_t j = 0;
        for (; j + 4 <= d; j += 4) {
            s0 += a[j] * b[j];
            s1 += a[j + 1] * b[j + 1];
            s2 += a[j + 2] * b[j + 2];
            s3 += a[j + 3] * b[j + 3];
        }
        for (; j < d; j++) {
            s0 += a[j] * b[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    static float mc_sim_dot_sq(const float *a, const float *b, Py_ssize_t d, float *sq) {
        *sq = mc_sim_dot(a, a, d);
        return mc_sim_dot(a, b, d);
    }

    static void mc_sim_dot4(const float *a, const float *b, Py_ssize_t d, float *out) {
        int g;
        for (g = 0; g < 4; g++) {
            out[g] = mc_sim_dot(a, b + g * d, d);
        }
    }
    #endif
    """
    float _dot "mc_sim_dot"(const float* a, const float* b, Py_ssize_t d) noexcept nogil
    float _dot_and_sq "mc_sim_dot_sq"(
        const float* a, const float* b, Py_ssize_t d, float* sq
    ) noexcept nogil
    void _dot4 "mc_sim_dot4"(
        const float* a, const float* b, Py_ssize_t d, float* out
    ) noexcept nogil


cdef inline float _cosine(float dot, float row_norm, float query_norm) noexcept nogil:
    # Same expression, same float32 rounding as the reference.
    cdef float denom = row_norm * query_norm
    if denom == 0.0:
        return 0.0
    return dot / denom


cdef inline void _offer(
    Py_ssize_t qi,
    Py_ssize_t k,
    Py_ssize_t* sizes,
    float* thresholds,
    float* out_scores,
    int64_t* out_indices,
    float score,
    Py_ssize_t i,
) noexcept nogil:
    heap_offer(
        out_scores + qi * k, out_indices + qi * k, k, &sizes[qi], &thresholds[qi], score, i
    )


cdef void _scan(
    const float* matrix,
    const float* queries,
    Py_ssize_t n,
    Py_ssize_t d,
    Py_ssize_t nq,
    Py_ssize_t k,
    bint assume_normalized,
    float* query_norms,
    float* row_norms,
    Py_ssize_t block_rows,
    Py_ssize_t* sizes,
    float* thresholds,
    float* out_scores,
    int64_t* out_indices,
) noexcept nogil:
    cdef Py_ssize_t qi, g, i, start, stop
    cdef const float* row
    cdef const float* query
    cdef float dot, sq, score
    cdef float dots[4]

    for qi in range(nq):
        sizes[qi] = 0
        thresholds[qi] = -INFINITY
        query = queries + qi * d
        query_norms[qi] = 1.0 if assume_normalized else sqrtf(_dot(query, query, d))

    start = 0
    while start < n:
        stop = start + block_rows
        if stop > n:
            stop = n
        qi = 0
        if not assume_normalized:
            # The first query's pass also computes the row norms, so each row
            # comes from memory once; later queries reuse them from cache.
            for i in range(start, stop):
                row = matrix + i * d
                dot = _dot_and_sq(row, queries, d, &sq)
                row_norms[i - start] = sqrtf(sq)
                score = _cosine(dot, row_norms[i - start], query_norms[0])
                _offer(0, k, sizes, thresholds, out_scores, out_indices, score, i)
            qi = 1
        while qi + 4 <= nq:
            for i in range(start, stop):
                _dot4(matrix + i * d, queries + qi * d, d, dots)
                for g in range(4):
                    score = dots[g]
                    if not assume_normalized:
                        score = _cosine(score, row_norms[i - start], query_norms[qi + g])
                    _offer(qi + g, k, sizes, thresholds, out_scores, out_indices, score, i)
            qi += 4
        while qi < nq:
            query = queries + qi * d
            for i in range(start, stop):
                score = _dot(matrix + i * d, query, d)
                if not assume_normalized:
                    score = _cosine(score, row_norms[i - start], query_norms[qi])
                _offer(qi, k, sizes, thresholds, out_scores, out_indices, score, i)
            qi += 1
        start = stop

    for qi in range(nq):
        heap_sort_best_first(out_scores + qi * k, out_indices + qi * k, sizes[qi])


def topk_cosine(matrix, query, k, *, assume_normalized=False):
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
    if qry.shape[qry.ndim - 1] != mat.shape[1]:
        raise ValueError(
            f"query dimension {qry.shape[qry.ndim - 1]} does not match "
            f"matrix dimension {mat.shape[1]}"
        )
    if not np.isfinite(qry).all():
        raise ValueError("query must contain only finite values")

    single = qry.ndim == 1
    queries = qry.reshape(1, -1) if single else qry
    cdef Py_ssize_t n = mat.shape[0]
    cdef Py_ssize_t d = mat.shape[1]
    cdef Py_ssize_t nq = queries.shape[0]
    cdef Py_ssize_t kk = min(k, n)

    out_indices = np.zeros((nq, kk), dtype=np.int64)
    out_scores = np.zeros((nq, kk), dtype=np.float32)
    if kk > 0 and nq > 0:
        block_rows = max(1, _BLOCK_BYTES // max(1, d * 4))
        if block_rows > n:
            block_rows = n
        query_norms = np.empty(nq, dtype=np.float32)
        row_norms = np.empty(block_rows, dtype=np.float32)
        sizes = np.empty(nq, dtype=np.intp)
        thresholds = np.empty(nq, dtype=np.float32)
        _run(
            mat, queries, kk, assume_normalized, query_norms, row_norms, sizes,
            thresholds, out_scores, out_indices,
        )
    if single:
        return out_indices[0], out_scores[0]
    return out_indices, out_scores


cdef void _run(
    const float[:, ::1] mat,
    const float[:, ::1] queries,
    Py_ssize_t k,
    bint assume_normalized,
    float[::1] query_norms,
    float[::1] row_norms,
    Py_ssize_t[::1] sizes,
    float[::1] thresholds,
    float[:, ::1] out_scores,
    int64_t[:, ::1] out_indices,
):
    cdef Py_ssize_t n = mat.shape[0]
    cdef Py_ssize_t d = mat.shape[1]
    cdef Py_ssize_t nq = queries.shape[0]
    # With d == 0 the buffers are empty and &x[0, 0] would be out of bounds;
    # the scan reads nothing through these then but still offsets them by 0.
    cdef float no_data = 0.0
    cdef const float* mat_ptr = &mat[0, 0] if d > 0 else &no_data
    cdef const float* query_ptr = &queries[0, 0] if d > 0 else &no_data
    with nogil:
        _scan(
            mat_ptr,
            query_ptr,
            n,
            d,
            nq,
            k,
            assume_normalized,
            &query_norms[0],
            &row_norms[0],
            row_norms.shape[0],
            &sizes[0],
            &thresholds[0],
            &out_scores[0, 0],
            &out_indices[0, 0],
        )
