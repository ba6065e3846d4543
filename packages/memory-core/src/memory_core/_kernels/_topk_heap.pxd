# Bounded top-k heaps for the scan kernels, shared by cimport.
#
# A heap of capacity k keeps the k best (score, index) entries seen so far:
# higher score first, then lower index; NaN ranks with -inf. Its root is the
# worst entry kept, the one the next better row evicts. Rows must be offered in
# increasing index order (see heap_offer).

from libc.math cimport INFINITY
from libc.stdint cimport int64_t


cdef inline float rank_key(float score) noexcept nogil:
    # NaN (from non-finite or overflowing matrix values) must still order
    # totally, or the heap invariant breaks; it ranks with -inf.
    if score != score:
        return -INFINITY
    return score


cdef inline bint worse(
    float score_a, int64_t index_a, float score_b, int64_t index_b
) noexcept nogil:
    cdef float key_a = rank_key(score_a)
    cdef float key_b = rank_key(score_b)
    if key_a != key_b:
        return key_a < key_b
    return index_a > index_b


cdef inline void sift_down(
    float* scores, int64_t* indices, Py_ssize_t size, Py_ssize_t pos
) noexcept nogil:
    # Min-heap on "worse": the root is the entry the next better row evicts.
    cdef Py_ssize_t child
    cdef float score = scores[pos]
    cdef int64_t index = indices[pos]
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and worse(
            scores[child + 1], indices[child + 1], scores[child], indices[child]
        ):
            child += 1
        if not worse(scores[child], indices[child], score, index):
            break
        scores[pos] = scores[child]
        indices[pos] = indices[child]
        pos = child
    scores[pos] = score
    indices[pos] = index


cdef inline void sift_up(
    float* scores, int64_t* indices, Py_ssize_t pos
) noexcept nogil:
    cdef Py_ssize_t parent
    cdef float score = scores[pos]
    cdef int64_t index = indices[pos]
    while pos > 0:
        parent = (pos - 1) // 2
        if not worse(score, index, scores[parent], indices[parent]):
            break
        scores[pos] = scores[parent]
        indices[pos] = indices[parent]
        pos = parent
    scores[pos] = score
    indices[pos] = index


cdef inline void heap_offer(
    float* scores,
    int64_t* indices,
    Py_ssize_t k,
    Py_ssize_t* size,
    float* threshold,
    float score,
    int64_t index,
) noexcept nogil:
    # Rows arrive in increasing index order, so a row that only ties the
    # current worst entry never displaces it: strict ">" is the full test.
    if size[0] < k:
        scores[size[0]] = score
        indices[size[0]] = index
        sift_up(scores, indices, size[0])
        size[0] += 1
        if size[0] == k:
            threshold[0] = rank_key(scores[0])
    elif score > threshold[0]:
        scores[0] = score
        indices[0] = index
        sift_down(scores, indices, k, 0)
        threshold[0] = rank_key(scores[0])


cdef inline void heap_sort_best_first(
    float* scores, int64_t* indices, Py_ssize_t size
) noexcept nogil:
    # Popping the worst entry to the back leaves the array best-first.
    cdef float score
    cdef int64_t index
    while size > 1:
        size -= 1
        score = scores[size]
        index = indices[size]
        scores[size] = scores[0]
        indices[size] = indices[0]
        scores[0] = score
        indices[0] = index
        sift_down(scores, indices, size, 0)
