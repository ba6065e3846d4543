/* Int8 dot products and row quantization for memory_core._kernels._quantized.
 *
 * Each operation exists in several builds of the same function: a plain C one
 * that any C compiler accepts (and vectorizes for its baseline target), and on
 * x86 with GCC or Clang, AVX2 and AVX-512 VNNI ones compiled through
 * __attribute__((target)). mc_q_isa_pick() chooses once, at import, from what
 * the running CPU and OS support (GCC's and Clang's CPU checks include the
 * OS's saving of AVX-512 state), so one wheel runs on every x86-64.
 *
 * Every build computes the same exact integers (dot products) and the same
 * IEEE operations (quantization), so results never depend on the CPU.
 */
#ifndef MC_QDOT_H
#define MC_QDOT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Defining MC_Q_PORTABLE builds the plain C versions only (to test them on x86). */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(MC_Q_PORTABLE)
#define MC_Q_X86 1
#include <immintrin.h>
#else
#define MC_Q_X86 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MC_Q_INLINE static inline __attribute__((always_inline))
#else
#define MC_Q_INLINE static inline
#endif

/* Dot products of rows[i * d .. i * d + d) with one query, i < n, into out[i]. */
typedef void (*mc_q_dots1_fn)(const int8_t *rows, ptrdiff_t n, ptrdiff_t d,
                              const int8_t *query, int32_t *out);

/* Same against the four queries query + g * d (g < 4), into out[g * stride + i]. */
typedef void (*mc_q_dots4_fn)(const int8_t *rows, ptrdiff_t n, ptrdiff_t d,
                              const int8_t *query, int32_t *out, ptrdiff_t stride);

/* Symmetric per-row quantization; returns the first non-finite row, or -1. */
typedef ptrdiff_t (*mc_q_quantize_fn)(const float *x, ptrdiff_t n, ptrdiff_t d,
                                      int8_t *codes, float *scales);

typedef struct {
    const char *name;
    mc_q_dots1_fn dots1;
    mc_q_dots4_fn dots4;
    mc_q_quantize_fn quantize;
} mc_q_isa;

/* ---------------------------------------------------------------- portable */

MC_Q_INLINE int32_t mc_q_dot_scalar(const int8_t *a, const int8_t *b, ptrdiff_t d) {
    int32_t s = 0;
    ptrdiff_t j;
    for (j = 0; j < d; j++) {
        s += (int32_t)a[j] * (int32_t)b[j];
    }
    return s;
}

MC_Q_INLINE ptrdiff_t mc_q_quantize_body(const float *x, ptrdiff_t n, ptrdiff_t d,
                                         int8_t *codes, float *scales) {
    ptrdiff_t i, j;
    for (i = 0; i < n; i++) {
        const float *row = x + i * d;
        int8_t *out = codes + i * d;
        /* The largest |x| as bits: for non-negative floats the bit patterns
           order like the values, and every NaN or infinity compares above
           the largest finite one. An integer max also vectorizes where a
           float max with NaN checks would not. */
        uint32_t top = 0;
        for (j = 0; j < d; j++) {
            uint32_t bits;
            memcpy(&bits, row + j, sizeof bits);
            bits &= 0x7fffffffu;
            top = bits > top ? bits : top;
        }
        if (top >= 0x7f800000u) {
            return i;
        }
        float maxabs;
        memcpy(&maxabs, &top, sizeof maxabs);
        if (maxabs == 0.0f) {
            memset(out, 0, (size_t)d);
            scales[i] = 0.0f;
            continue;
        }
        /* double: 127 / maxabs overflows float for subnormal rows. */
        double inv = 127.0 / (double)maxabs;
        for (j = 0; j < d; j++) {
            double v = rint((double)row[j] * inv);
            v = v > 127.0 ? 127.0 : v;
            v = v < -127.0 ? -127.0 : v;
            out[j] = (int8_t)v;
        }
        scales[i] = (float)((double)maxabs / 127.0);
    }
    return -1;
}

static void mc_q_dots1_scalar(const int8_t *rows, ptrdiff_t n, ptrdiff_t d,
                              const int8_t *query, int32_t *out) {
    ptrdiff_t i;
    for (i = 0; i < n; i++) {
        out[i] = mc_q_dot_scalar(rows + i * d, query, d);
    }
}

static void mc_q_dots4_scalar(const int8_t *rows, ptrdiff_t n, ptrdiff_t d,
                              const int8_t *query, int32_t *out, ptrdiff_t stride) {
    ptrdiff_t i;
    int g;
    for (i = 0; i < n; i++) {
        for (g = 0; g < 4; g++) {
            out[g * stride + i] = mc_q_dot_scalar(rows + i * d, query + g * d, d);
        }
    }
}

static ptrdiff_t mc_q_quantize_scalar(const float *x, ptrdiff_t n, ptrdiff_t d,
                                      int8_t *codes, float *scales) {
    return mc_q_quantize_body(x, n, d, codes, scales);
}

#if MC_Q_X86

/* -------------------------------------------------------------------- AVX2 */
/* maddubs multiplies unsigned by signed bytes, so each product is taken as
   |row| * (query with the row's sign): exact for every int8 row value, -128
   included, and a pair of products (at most 2 * 128 * 127) never saturates
   the int16 it is summed into. Queries come from mc_q_quantize_body, so
   they hold no -128, whose negation would wrap. */

#define MC_Q_AVX2 __attribute__((target("avx2")))

/* Single-query scans ask for the rows 12 KiB ahead of the four being summed
   to be brought into L2: 10-20 % faster than the hardware prefetcher alone
   (measured on Zen 4), since the scan is bound by memory reads. */
#define MC_Q_PREFETCH_AHEAD 12288

/* Prefetch the `size` bytes at rows + offset + MC_Q_PREFETCH_AHEAD, if they lie
   within the `total` bytes of rows (no pointer is formed past the end). */
static inline void mc_q_prefetch(const int8_t *rows, ptrdiff_t offset, ptrdiff_t size,
                                 ptrdiff_t total) {
    ptrdiff_t j;
    if (offset + MC_Q_PREFETCH_AHEAD + size <= total) {
        const char *ahead = (const char *)rows + offset + MC_Q_PREFETCH_AHEAD;
        for (j = 0; j < size; j += 64) {
            _mm_prefetch(ahead + j, _MM_HINT_T1);
        }
    }
}

MC_Q_AVX2 static inline __m256i mc_q_madd_avx2(__m256i acc, __m256i r, __m256i q) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(r), _mm256_sign_epi8(q, r));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
}

/* Horizontal sums of four vectors, as the four lanes of the result. */
MC_Q_AVX2 static inline __m128i mc_q_sum4_avx2(__m256i a, __m256i b, __m256i c, __m256i e) {
    __m256i ab = _mm256_hadd_epi32(a, b);
    __m256i ce = _mm256_hadd_epi32(c, e);
    __m256i abce = _mm256_hadd_epi32(ab, ce);
    return _mm_add_epi32(_mm256_castsi256_si128(abce), _mm256_extracti128_si256(abce, 1));
}

MC_Q_AVX2 static inline int32_t mc_q_sum1_avx2(__m256i a) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

MC_Q_AVX2 static inline __m256i mc_q_load_avx2(const int8_t *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}

MC_Q_AVX2 static void mc_q_dots1_avx2(const int8_t *rows, ptrdiff_t n, ptrdiff_t d,
                                      const int8_t *query, int32_t *out) {
    const ptrdiff_t full = d & ~(ptrdiff_t)31;
    ptrdiff_t i = 0, j;
    /* Four rows at a time: four independent accumulator chains, and one
       horizontal reduction for all four. */
    for (; i + 4 <= n; i += 4) {
        const int8_t *r0 = rows + i * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        mc_q_prefetch(rows, i * d, 4 * d, n * d);
        for (j = 0; j < full; j += 32) {
            __m256i q = mc_q_load_avx2(query + j);
            a0 = mc_q_madd_avx2(a0, mc_q_load_avx2(r0 + j), q);
            a1 = mc_q_madd_avx2(a1, mc_q_load_avx2(r1 + j), q);
            a2 = mc_q_madd_avx2(a2, mc_q_load_avx2(r2 + j), q);
            a3 = mc_q_madd_avx2(a3, mc_q_load_avx2(r3 + j), q);
        }
        _mm_storeu_si128((__m128i *)(out + i), mc_q_sum4_avx2(a0, a1, a2, a3));
        if (full < d) {
            out[i] += mc_q_dot_scalar(r0 + full, query + full, d - full);
            out[i + 1] += mc_q_dot_scalar(r1 + full, query + full, d - full);
            out[i + 2] += mc_q_dot_scalar(r2 + full, query + full, d - full);
            out[i + 3] += mc_q_dot_scalar(r3 + full, query + full, d - full);
        }
    }
    for (; i < n; i++) {
        const int8_t *r = rows + i * d;
        __m256i a = _mm256_setzero_si256();
        for (j = 0; j < full; j += 32) {
            a = mc_q_madd_avx2(a, mc_q_load_avx2(r + j), mc_q_load_avx2(query + j));
        }
        out[i] = mc_q_sum1_avx2(a) + mc_q_dot_scalar(r + full, query + full, d - full);
    }
}

MC_Q_AVX2 static void mc_q_dots4_avx2(const int8_t *rows, ptrdiff_t n, ptrdiff_t d,
                                      const int8_t *query, int32_t *out, ptrdiff_t stride) {
    const ptrdiff_t full = d & ~(ptrdiff_t)31;
    const int8_t *q0 = query, *q1 = q0 + d, *q2 = q1 + d, *q3 = q2 + d;
    int32_t sums[4];
    ptrdiff_t i, j;
    for (i = 0; i < n; i++) {
        const int8_t *r = rows + i * d;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        for (j = 0; j < full; j += 32) {
            __m256i v = mc_q_load_avx2(r + j);
            a0 = mc_q_madd_avx2(a0, v, mc_q_load_avx2(q0 + j));
            a1 = mc_q_madd_avx2(a1, v, mc_q_load_avx2(q1 + j));
            a2 = mc_q_madd_avx2(a2, v, mc_q_load_avx2(q2 + j));
            a3 = mc_q_madd_avx2(a3, v, mc_q_load_avx2(q3 + j));
        }
        _mm_storeu_si128((__m128i *)sums, mc_q_sum4_avx2(a0, a1, a2, a3));
        out[i] = sums[0] + mc_q_dot_scalar(r + full, q0 + full, d - full);
        out[stride + i] = sums[1] + mc_q_dot_scalar(r + full, q1 + full, d - full);
        out[2 * stride + i] = sums[2] + mc_q_dot_scalar(r + full, q2 + full, d - full);
        out[3 * stride + i] = sums[3] + mc_q_dot_scalar(r + full, q3 + full, d - full);
    }
}

MC_Q_AVX2 static ptrdiff_t mc_q_quantize_avx2(const float *x, ptrdiff_t n, ptrdiff_t d,
                                              int8_t *codes, float *scales) {
    /* The same body, vectorized with AVX2 (rint becomes vroundpd). */
    return mc_q_quantize_body(x, n, d, codes, scales);
}

/* ------------------------------------------------------------ AVX-512 VNNI */
/* vpdpbusd multiplies unsigned by signed bytes. Rows are made unsigned by
   flipping the top bit (r + 128), which is exact for every int8; the query
   stays signed. Each sum is then dot + 128 * sum(query), and that constant
   is subtracted once per row. */

#define MC_Q_VNNI __attribute__((target("avx2,avx512f,avx512bw,avx512vnni")))

MC_Q_VNNI static inline __m256i mc_q_fold_vnni(__m512i a) {
    return _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
}

MC_Q_VNNI static inline __m128i mc_q_sum4_vnni(__m512i a, __m512i b, __m512i c, __m512i e) {
    __m256i ab = _mm256_hadd_epi32(mc_q_fold_vnni(a), mc_q_fold_vnni(b));
    __m256i ce = _mm256_hadd_epi32(mc_q_fold_vnni(c), mc_q_fold_vnni(e));
    __m256i abce = _mm256_hadd_epi32(ab, ce);
    return _mm_add_epi32(_mm256_castsi256_si128(abce), _mm256_extracti128_si256(abce, 1));
}

MC_Q_VNNI static inline __m512i mc_q_row_vnni(const int8_t *p, __mmask64 mask) {
    /* Masked-off bytes load as 0 and flip to 128, but meet query bytes that
       also loaded as 0, so they add nothing. */
    return _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, p), _mm512_set1_epi8((char)0x80));
}

MC_Q_VNNI static inline __m512i mc_q_flip_vnni(const int8_t *p) {
    return _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_set1_epi8((char)0x80));
}

static int32_t mc_q_bias(const int8_t *query, ptrdiff_t d) {
    int32_t s = 0;
    ptrdiff_t j;
    for (j = 0; j < d; j++) {
        s += query[j];
    }
    return 128 * s;
}

/* acc += the product of 64 row bytes (flipped) with 64 query bytes. */
#define MC_Q_DP(acc, row, q) ((acc) = _mm512_dpbusd_epi32((acc), (row), (q)))

MC_Q_VNNI static void mc_q_dots1_vnni(const int8_t *rows, ptrdiff_t n, ptrdiff_t d,
                                      const int8_t *query, int32_t *out) {
    const ptrdiff_t full = d & ~(ptrdiff_t)63;
    const __mmask64 tail = (d - full) ? (((__mmask64)1 << (d - full)) - 1) : 0;
    const __m128i bias = _mm_set1_epi32(mc_q_bias(query, d));
    ptrdiff_t i = 0, j;
    /* Four rows at a time, two accumulators each: eight independent vpdpbusd
       chains hide its latency (one chain per row was 20 % slower), and one
       horizontal reduction serves four rows. */
    for (; i + 4 <= n; i += 4) {
        const int8_t *r0 = rows + i * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        __m512i b0 = a0, b1 = a0, b2 = a0, b3 = a0, q, p;
        mc_q_prefetch(rows, i * d, 4 * d, n * d);
        for (j = 0; j + 128 <= full; j += 128) {
            q = _mm512_loadu_si512(query + j);
            p = _mm512_loadu_si512(query + j + 64);
            MC_Q_DP(a0, mc_q_flip_vnni(r0 + j), q);
            MC_Q_DP(b0, mc_q_flip_vnni(r0 + j + 64), p);
            MC_Q_DP(a1, mc_q_flip_vnni(r1 + j), q);
            MC_Q_DP(b1, mc_q_flip_vnni(r1 + j + 64), p);
            MC_Q_DP(a2, mc_q_flip_vnni(r2 + j), q);
            MC_Q_DP(b2, mc_q_flip_vnni(r2 + j + 64), p);
            MC_Q_DP(a3, mc_q_flip_vnni(r3 + j), q);
            MC_Q_DP(b3, mc_q_flip_vnni(r3 + j + 64), p);
        }
        if (j < full) {
            q = _mm512_loadu_si512(query + j);
            MC_Q_DP(a0, mc_q_flip_vnni(r0 + j), q);
            MC_Q_DP(a1, mc_q_flip_vnni(r1 + j), q);
            MC_Q_DP(a2, mc_q_flip_vnni(r2 + j), q);
            MC_Q_DP(a3, mc_q_flip_vnni(r3 + j), q);
        }
        if (tail) {
            q = _mm512_maskz_loadu_epi8(tail, query + full);
            MC_Q_DP(b0, mc_q_row_vnni(r0 + full, tail), q);
            MC_Q_DP(b1, mc_q_row_vnni(r1 + full, tail), q);
            MC_Q_DP(b2, mc_q_row_vnni(r2 + full, tail), q);
            MC_Q_DP(b3, mc_q_row_vnni(r3 + full, tail), q);
        }
        a0 = _mm512_add_epi32(a0, b0);
        a1 = _mm512_add_epi32(a1, b1);
        a2 = _mm512_add_epi32(a2, b2);
        a3 = _mm512_add_epi32(a3, b3);
        _mm_storeu_si128((__m128i *)(out + i),
                         _mm_sub_epi32(mc_q_sum4_vnni(a0, a1, a2, a3), bias));
    }
    for (; i < n; i++) {
        const int8_t *r = rows + i * d;
        __m512i a = _mm512_setzero_si512();
        for (j = 0; j < full; j += 64) {
            MC_Q_DP(a, mc_q_flip_vnni(r + j), _mm512_loadu_si512(query + j));
        }
        if (tail) {
            MC_Q_DP(a, mc_q_row_vnni(r + full, tail), _mm512_maskz_loadu_epi8(tail, query + full));
        }
        /* Unsigned arithmetic: the biased sum may wrap, the difference does not. */
        out[i] = (int32_t)((uint32_t)_mm512_reduce_add_epi32(a) -
                           (uint32_t)_mm_cvtsi128_si32(bias));
    }
}

MC_Q_VNNI static void mc_q_dots4_vnni(const int8_t *rows, ptrdiff_t n, ptrdiff_t d,
                                      const int8_t *query, int32_t *out, ptrdiff_t stride) {
    const ptrdiff_t full = d & ~(ptrdiff_t)63;
    const __mmask64 tail = (d - full) ? (((__mmask64)1 << (d - full)) - 1) : 0;
    const int8_t *q0 = query, *q1 = q0 + d, *q2 = q1 + d, *q3 = q2 + d;
    const __m128i bias = _mm_setr_epi32(mc_q_bias(q0, d), mc_q_bias(q1, d), mc_q_bias(q2, d),
                                        mc_q_bias(q3, d));
    int32_t sums[8];
    ptrdiff_t i = 0, j, step, g;
    /* Two rows against four queries: eight chains, each row load feeding four
       products. A lone last row runs the same loop with rows r and r + 0. */
    for (; i < n; i += step) {
        const int8_t *r = rows + i * d;
        const int8_t *s = (i + 1 < n) ? r + d : r;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        __m512i b0 = a0, b1 = a0, b2 = a0, b3 = a0, u, v, w;
        step = (i + 1 < n) ? 2 : 1;
        for (j = 0; j < full; j += 64) {
            u = mc_q_flip_vnni(r + j);
            v = mc_q_flip_vnni(s + j);
            w = _mm512_loadu_si512(q0 + j);
            MC_Q_DP(a0, u, w);
            MC_Q_DP(b0, v, w);
            w = _mm512_loadu_si512(q1 + j);
            MC_Q_DP(a1, u, w);
            MC_Q_DP(b1, v, w);
            w = _mm512_loadu_si512(q2 + j);
            MC_Q_DP(a2, u, w);
            MC_Q_DP(b2, v, w);
            w = _mm512_loadu_si512(q3 + j);
            MC_Q_DP(a3, u, w);
            MC_Q_DP(b3, v, w);
        }
        if (tail) {
            u = mc_q_row_vnni(r + full, tail);
            v = mc_q_row_vnni(s + full, tail);
            w = _mm512_maskz_loadu_epi8(tail, q0 + full);
            MC_Q_DP(a0, u, w);
            MC_Q_DP(b0, v, w);
            w = _mm512_maskz_loadu_epi8(tail, q1 + full);
            MC_Q_DP(a1, u, w);
            MC_Q_DP(b1, v, w);
            w = _mm512_maskz_loadu_epi8(tail, q2 + full);
            MC_Q_DP(a2, u, w);
            MC_Q_DP(b2, v, w);
            w = _mm512_maskz_loadu_epi8(tail, q3 + full);
            MC_Q_DP(a3, u, w);
            MC_Q_DP(b3, v, w);
        }
        _mm_storeu_si128((__m128i *)sums, _mm_sub_epi32(mc_q_sum4_vnni(a0, a1, a2, a3), bias));
        _mm_storeu_si128((__m128i *)(sums + 4),
                         _mm_sub_epi32(mc_q_sum4_vnni(b0, b1, b2, b3), bias));
        for (g = 0; g < 4; g++) {
            out[g * stride + i] = sums[g];
            if (step == 2) {
                out[g * stride + i + 1] = sums[4 + g];
            }
        }
    }
}

#endif /* MC_Q_X86 */

/* ---------------------------------------------------------------- dispatch */

enum { MC_Q_SCALAR = 0, MC_Q_AVX2_ISA = 1, MC_Q_VNNI_ISA = 2, MC_Q_N_ISAS = 3 };

static const mc_q_isa mc_q_isas[MC_Q_N_ISAS] = {
    {"scalar", mc_q_dots1_scalar, mc_q_dots4_scalar, mc_q_quantize_scalar},
#if MC_Q_X86
    {"avx2", mc_q_dots1_avx2, mc_q_dots4_avx2, mc_q_quantize_avx2},
    {"avx512vnni", mc_q_dots1_vnni, mc_q_dots4_vnni, mc_q_quantize_avx2},
#else
    {"avx2", NULL, NULL, NULL},
    {"avx512vnni", NULL, NULL, NULL},
#endif
};

/* Whether build `index` of mc_q_isas can run here (CPU and OS support). */
static int mc_q_isa_supported(int index) {
    if (index == MC_Q_SCALAR) {
        return 1;
    }
#if MC_Q_X86
    __builtin_cpu_init();
    if (index == MC_Q_AVX2_ISA) {
        return __builtin_cpu_supports("avx2") != 0;
    }
    if (index == MC_Q_VNNI_ISA) {
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
    }
#endif
    return 0;
}

/* The fastest build this machine runs. */
static int mc_q_isa_pick(void) {
    int index;
    for (index = MC_Q_N_ISAS - 1; index > 0; index--) {
        if (mc_q_isa_supported(index)) {
            return index;
        }
    }
    return MC_Q_SCALAR;
}

#endif /* MC_QDOT_H */
