"""Sequence mining over integer-encoded sequences (compiled kernels).

Semantics, result types and input checks come from the reference in
``_mining_py.py``; the two must agree exactly, order and float sums included.
All heavy work runs in C memory with the GIL released.
"""

import numpy as np

from libc.stdint cimport INT32_MAX, int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memset

from memory_core._kernels._mining_py import (
    NgramArrays,
    PatternArrays,
    check_database,
    check_lengths,
    check_max_length,
    check_min_support,
    check_success,
    check_weights,
)


# ---------------------------------------------------------------------------
# Pattern records: every frequent pattern is its parent (one item shorter) plus
# one item, so patterns are stored as a tree and spelled out once at the end.

cdef struct Rec:
    int64_t parent
    int64_t support
    int64_t successes
    double weight_sum
    int32_t item
    int32_t length


cdef struct Recs:
    Rec* data
    Py_ssize_t size
    Py_ssize_t cap


cdef Py_ssize_t _push(
    Recs* recs, int64_t parent, int32_t item, int32_t length, int64_t support
) noexcept nogil:
    cdef Py_ssize_t cap
    cdef Rec* grown
    cdef Rec* rec
    if recs.size == recs.cap:
        cap = recs.cap * 2 if recs.cap else 1024
        grown = <Rec*>realloc(recs.data, cap * sizeof(Rec))
        if grown == NULL:
            return -1
        recs.data = grown
        recs.cap = cap
    rec = &recs.data[recs.size]
    rec.parent = parent
    rec.item = item
    rec.length = length
    rec.support = support
    rec.successes = 0
    rec.weight_sum = 0.0
    recs.size += 1
    return recs.size - 1


cdef object _fields(Recs* recs):
    """The records' parent, item, length and support as numpy arrays."""
    cdef Py_ssize_t i, n = recs.size
    parent_arr = np.empty(n, dtype=np.int64)
    item_arr = np.empty(n, dtype=np.int64)
    length_arr = np.empty(n, dtype=np.int64)
    support_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] parent = parent_arr
    cdef int64_t[::1] item = item_arr
    cdef int64_t[::1] length = length_arr
    cdef int64_t[::1] support = support_arr
    for i in range(n):
        parent[i] = recs.data[i].parent
        item[i] = recs.data[i].item
        length[i] = recs.data[i].length
        support[i] = recs.data[i].support
    return parent_arr, item_arr, length_arr, support_arr


cdef object _output_order(Recs* recs, Py_ssize_t n_items, Py_ssize_t min_length):
    """Indices of the records of length >= ``min_length``, in output order.

    The order is descending support, then length, then item ids. A pattern is
    its parent plus one item, so ranking each length by (parent's rank, item)
    ranks it lexicographically; one integer key per pattern then makes the
    final sort a single argsort instead of a lexsort over padded rows.
    """
    parent, item, length, support = _fields(recs)
    n = length.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    by_length = np.argsort(length, kind="stable")
    level_start = np.zeros(int(length.max()) + 2, dtype=np.int64)
    np.cumsum(np.bincount(length), out=level_start[1:])
    rank = np.empty(n, dtype=np.int64)
    for size in range(1, level_start.shape[0] - 1):
        members = by_length[level_start[size] : level_start[size + 1]]
        if members.shape[0] == 0:
            continue
        key = item[members]
        if size > 1:
            key = key + rank[parent[members]] * n_items
        rank[members[np.argsort(key)]] = np.arange(
            level_start[size], level_start[size + 1], dtype=np.int64
        )
    keep = np.flatnonzero(length >= min_length)
    if keep.shape[0] == 0:
        return keep
    kept_support = support[keep]
    return keep[np.argsort((kept_support.max() - kept_support) * n + rank[keep])]


cdef void _copy_stats(
    const Rec* recs,
    const Py_ssize_t[::1] order,
    int32_t[::1] lengths,
    int64_t[::1] support,
    int64_t[::1] successes,
    double[::1] weight_sum,
) noexcept:
    """Per-record statistics in output order; ``successes``/``weight_sum`` may be None."""
    cdef Py_ssize_t k
    cdef const Rec* rec
    for k in range(order.shape[0]):
        rec = &recs[order[k]]
        lengths[k] = rec.length
        support[k] = rec.support
        if successes is not None:
            successes[k] = rec.successes
            weight_sum[k] = rec.weight_sum


cdef void _spell(
    const Rec* recs,
    const Py_ssize_t[::1] order,
    const int64_t[::1] starts,
    int32_t[::1] out,
) noexcept nogil:
    """Write record ``order[k]``'s items at ``out[starts[k]:]``, walking up its parents."""
    cdef Py_ssize_t k, j
    cdef int64_t r
    for k in range(order.shape[0]):
        r = order[k]
        for j in range(recs[r].length - 1, -1, -1):
            out[starts[k] + j] = recs[r].item
            r = recs[r].parent


# ---------------------------------------------------------------------------
# Contiguous n-grams, level by level. Level n - 1 leaves the sorted positions
# where a frequent (n-1)-gram starts, with its id. An n-gram at p is a
# candidate only when the (n-1)-grams at p and at p + 1 are both frequent
# (anti-monotone pruning; p + 1 is simply the next listed position), and it is
# keyed by (id of the (n-1)-gram at p, last item). Level 1 is not listed: its
# ids come straight from the items, which spares one entry per token.

cdef struct Slot:
    uint64_t key
    int32_t last_seq
    int32_t support
    int32_t pattern
    int32_t occurrences


cdef struct Table:
    Slot* slots
    Py_ssize_t capacity
    Py_ssize_t used
    int shift
    bint dense         # slots indexed by key directly; no probing


cdef struct Level:
    int32_t* pos       # NULL at level 1: every position, id = item_ids[token]
    int32_t* ids
    Py_ssize_t size
    Py_ssize_t n_ids   # distinct ids (frequent patterns) at this level


# Key spaces up to this many keys are counted in a plain array indexed by key:
# level 2 over a few hundred items then needs no hashing or probing.
cdef Py_ssize_t _DENSE_KEYS = 1 << 16


cdef uint64_t _EMPTY = 0xFFFFFFFFFFFFFFFF


cdef inline Py_ssize_t _home(uint64_t key, int shift) noexcept nogil:
    # Fibonacci hashing: keys are dense small integers, so multiply to spread them.
    return <Py_ssize_t>((key * <uint64_t>0x9E3779B97F4A7C15) >> shift)


cdef int _table_init(Table* table, Py_ssize_t capacity, int shift) noexcept nogil:
    cdef Py_ssize_t i
    table.slots = <Slot*>malloc(capacity * sizeof(Slot))
    if table.slots == NULL:
        return -1
    for i in range(capacity):
        table.slots[i].key = _EMPTY
    table.capacity = capacity
    table.used = 0
    table.shift = shift
    table.dense = False
    return 0


cdef int _table_init_dense(Table* table, Py_ssize_t n_keys) noexcept nogil:
    cdef Py_ssize_t i
    cdef Slot* slot
    table.slots = <Slot*>malloc((n_keys + 1) * sizeof(Slot))
    if table.slots == NULL:
        return -1
    for i in range(n_keys):
        slot = &table.slots[i]
        slot.key = <uint64_t>i
        slot.last_seq = -1
        slot.support = 0
        slot.occurrences = 0
    table.capacity = n_keys
    table.used = n_keys
    table.shift = 0
    table.dense = True
    return 0


cdef int _table_grow(Table* table) noexcept nogil:
    cdef Table bigger
    cdef Py_ssize_t i, h
    cdef Slot* old
    if _table_init(&bigger, table.capacity * 2, table.shift - 1) != 0:
        return -1
    for i in range(table.capacity):
        old = &table.slots[i]
        if old.key != _EMPTY:
            h = _home(old.key, bigger.shift)
            while bigger.slots[h].key != _EMPTY:
                h = (h + 1) & (bigger.capacity - 1)
            bigger.slots[h] = old[0]
    bigger.used = table.used
    free(table.slots)
    table[0] = bigger
    return 0


cdef inline Slot* _table_find(Table* table, uint64_t key) noexcept nogil:
    # Linear probing; only called for keys known to be present.
    cdef Py_ssize_t h
    if table.dense:
        return &table.slots[key]
    h = _home(key, table.shift)
    while table.slots[h].key != key:
        h = (h + 1) & (table.capacity - 1)
    return &table.slots[h]


cdef inline Slot* _table_add(Table* table, uint64_t key) noexcept nogil:
    cdef Py_ssize_t h
    cdef Slot* slot
    if table.dense:
        return &table.slots[key]
    if 2 * (table.used + 1) > table.capacity:
        if _table_grow(table) != 0:
            return NULL
    h = _home(key, table.shift)
    while True:
        slot = &table.slots[h]
        if slot.key == key:
            return slot
        if slot.key == _EMPTY:
            slot.key = key
            slot.last_seq = -1
            slot.support = 0
            slot.occurrences = 0
            table.used += 1
            return slot
        h = (h + 1) & (table.capacity - 1)


cdef inline double _window_weight(
    const double* weights, Py_ssize_t p, Py_ssize_t n
) noexcept nogil:
    # Left to right from the first token, exactly as the reference adds them.
    cdef double total = weights[p]
    cdef Py_ssize_t i
    for i in range(1, n):
        total += weights[p + i]
    return total


cdef int _ngram_items(
    const int32_t* tok,
    const int64_t* off,
    Py_ssize_t n_seq,
    Py_ssize_t n_items,
    int64_t min_support,
    const uint8_t* success,
    const double* weights,
    int32_t* item_ids,
    Recs* recs,
) noexcept nogil:
    """Level 1: record the frequent items; ``item_ids[t]`` is their id, else -1."""
    cdef int32_t* last = <int32_t*>malloc((n_items + 1) * sizeof(int32_t))
    cdef int64_t* count = <int64_t*>calloc(n_items + 1, sizeof(int64_t))
    cdef Py_ssize_t s, p, t
    cdef int32_t next_id = 0
    cdef Rec* r
    try:
        if last == NULL or count == NULL:
            return -1
        for t in range(n_items):
            last[t] = -1
        for s in range(n_seq):
            for p in range(off[s], off[s + 1]):
                t = tok[p]
                if last[t] != s:
                    last[t] = <int32_t>s
                    count[t] += 1
        for t in range(n_items):
            item_ids[t] = -1
            if count[t] >= min_support:
                item_ids[t] = next_id
                next_id += 1
                if _push(recs, -1, <int32_t>t, 1, count[t]) < 0:
                    return -1
            last[t] = -1
        if success == NULL and weights == NULL:
            return 0
        for s in range(n_seq):
            for p in range(off[s], off[s + 1]):
                t = tok[p]
                if item_ids[t] >= 0 and last[t] != s:
                    last[t] = <int32_t>s
                    # Level 1 is recorded first and in id order: record = id.
                    r = &recs.data[item_ids[t]]
                    if success != NULL and success[s]:
                        r.successes += 1
                    if weights != NULL:
                        r.weight_sum += weights[p]
        return 0
    finally:
        free(last)
        free(count)


cdef inline bint _extendable(
    const int32_t* tok,
    const int64_t* off,
    const int32_t* item_ids,
    const Level* level,
    Py_ssize_t k,
    Py_ssize_t n,
    Py_ssize_t* s,
    Py_ssize_t* p,
    uint64_t* prefix,
) noexcept nogil:
    """Whether entry k of ``level`` starts a candidate n-gram; sets its position and prefix id.

    ``s`` is the sequence of the previous entry and advances with it.
    """
    cdef int32_t prefix_id
    if level.pos == NULL:
        p[0] = k
        prefix_id = item_ids[tok[k]]
        if prefix_id < 0:
            return False
    else:
        p[0] = level.pos[k]
        prefix_id = level.ids[k]
    while off[s[0] + 1] <= p[0]:
        s[0] += 1
    if p[0] + n > off[s[0] + 1]:
        return False
    if level.pos == NULL:
        if item_ids[tok[p[0] + 1]] < 0:
            return False
    elif k + 1 >= level.size or level.pos[k + 1] != p[0] + 1:
        return False
    prefix[0] = <uint64_t>prefix_id
    return True


cdef int _ngram_next_level(
    const int32_t* tok,
    const int64_t* off,
    Py_ssize_t n_items,
    Py_ssize_t n,
    int64_t min_support,
    const uint8_t* success,
    const double* weights,
    const int32_t* item_ids,
    Level* level,
    Recs* recs,
    int64_t parent_base,
) noexcept nogil:
    """Count and record the frequent n-grams; replace ``level`` by their positions."""
    cdef Table table
    cdef Level grown
    cdef Py_ssize_t k, p = 0, s = 0, kept = 0, total = 0
    cdef Py_ssize_t base = recs.size
    cdef int32_t next_id = 0
    cdef uint64_t prefix = 0, key
    cdef Slot* slot
    cdef Rec* r
    grown.pos = NULL
    grown.ids = NULL
    grown.size = 0
    if level.n_ids * n_items <= _DENSE_KEYS:
        if _table_init_dense(&table, level.n_ids * n_items) != 0:
            return -1
    elif _table_init(&table, 1024, 64 - 10) != 0:
        return -1
    try:
        for k in range(level.size):
            if not _extendable(tok, off, item_ids, level, k, n, &s, &p, &prefix):
                continue
            key = prefix * <uint64_t>n_items + <uint64_t>tok[p + n - 1]
            slot = _table_add(&table, key)
            if slot == NULL:
                return -1
            slot.occurrences += 1
            if slot.last_seq != s:
                slot.last_seq = <int32_t>s
                slot.support += 1

        for k in range(table.capacity):
            slot = &table.slots[k]
            if slot.key == _EMPTY or slot.support == 0:
                continue
            slot.last_seq = -1
            slot.pattern = -1
            if slot.support < min_support:
                continue
            slot.pattern = next_id
            next_id += 1
            total += slot.occurrences
            if _push(
                recs,
                parent_base + <int64_t>(slot.key // <uint64_t>n_items),
                <int32_t>(slot.key % <uint64_t>n_items),
                <int32_t>n,
                slot.support,
            ) < 0:
                return -1

        if total > 0:
            grown.pos = <int32_t*>malloc(total * sizeof(int32_t))
            grown.ids = <int32_t*>malloc(total * sizeof(int32_t))
            if grown.pos == NULL or grown.ids == NULL:
                free(grown.pos)
                free(grown.ids)
                return -1
            s = 0
            for k in range(level.size):
                if not _extendable(tok, off, item_ids, level, k, n, &s, &p, &prefix):
                    continue
                slot = _table_find(&table, prefix * <uint64_t>n_items + <uint64_t>tok[p + n - 1])
                if slot.pattern < 0:
                    continue
                grown.pos[kept] = <int32_t>p
                grown.ids[kept] = slot.pattern
                kept += 1
                if slot.last_seq != s:
                    slot.last_seq = <int32_t>s
                    r = &recs.data[base + slot.pattern]
                    if success != NULL and success[s]:
                        r.successes += 1
                    if weights != NULL:
                        r.weight_sum += _window_weight(weights, p, n)
            grown.size = kept
        grown.n_ids = next_id
        free(level.pos)
        free(level.ids)
        level[0] = grown
        return 0
    finally:
        free(table.slots)


cdef int _ngram_mine(
    const int32_t* tok,
    const int64_t* off,
    Py_ssize_t n_seq,
    Py_ssize_t n_tokens,
    Py_ssize_t n_items,
    Py_ssize_t max_n,
    int64_t min_support,
    const uint8_t* success,
    const double* weights,
    Recs* recs,
) noexcept nogil:
    cdef int32_t* item_ids = <int32_t*>malloc((n_items + 1) * sizeof(int32_t))
    cdef Level level
    cdef Py_ssize_t n = 2
    cdef int64_t parent_base = 0
    cdef int64_t level_base
    level.pos = NULL
    level.ids = NULL
    level.size = n_tokens
    if item_ids == NULL:
        return -1
    try:
        if _ngram_items(
            tok, off, n_seq, n_items, min_support, success, weights, item_ids, recs
        ) != 0:
            return -1
        level.n_ids = recs.size
        while level.n_ids > 0 and (max_n < 0 or n <= max_n):
            level_base = recs.size
            if _ngram_next_level(
                tok, off, n_items, n, min_support, success, weights, item_ids,
                &level, recs, parent_base,
            ) != 0:
                return -1
            parent_base = level_base
            n += 1
        return 0
    finally:
        free(item_ids)
        free(level.pos)
        free(level.ids)


def mine_ngrams(
    tokens,
    offsets,
    *,
    min_n=2,
    max_n=5,
    min_support=1,
    success=None,
    weights=None,
    n_items=None,
):
    """Count the contiguous n-grams (``min_n <= n <= max_n``) held by ``min_support`` sequences.

    See :func:`memory_core._kernels._mining_py.mine_ngrams` for the contract.
    """
    db = check_database(tokens, offsets, n_items)
    lo, hi = check_lengths(min_n, max_n)
    cdef int64_t support_floor = check_min_support(min_support)
    cdef Py_ssize_t n_seq = db.offsets.shape[0] - 1
    flags = check_success(success, n_seq)
    w = check_weights(weights, db.tokens.shape[0])

    cdef const int32_t[::1] tok = db.tokens
    cdef const int64_t[::1] off = db.offsets
    cdef const uint8_t[::1] flag_view
    cdef const double[::1] weight_view
    cdef const uint8_t* flag_ptr = NULL
    cdef const double* weight_ptr = NULL
    cdef Py_ssize_t n_tokens = tok.shape[0]
    cdef Py_ssize_t items = db.n_items
    cdef Py_ssize_t top = hi
    cdef int32_t empty_token = 0
    cdef const int32_t* tok_ptr = &tok[0] if n_tokens > 0 else &empty_token
    cdef Recs recs
    cdef int status
    if flags is not None and n_seq > 0:
        flag_view = flags
        flag_ptr = &flag_view[0]
    if w is not None and n_tokens > 0:
        weight_view = w
        weight_ptr = &weight_view[0]

    recs.data = NULL
    recs.size = 0
    recs.cap = 0
    try:
        with nogil:
            status = _ngram_mine(
                tok_ptr, &off[0], n_seq, n_tokens, items, top, support_floor,
                flag_ptr, weight_ptr, &recs,
            )
        if status != 0:
            raise MemoryError("out of memory while mining n-grams")
        # Levels are recorded in order, so the last record is a longest one.
        longest = recs.data[recs.size - 1].length if recs.size else 0
        width = hi if hi >= 0 else max(lo, longest)
        order = _output_order(&recs, items, lo)
        n_out = order.shape[0]
        grams = np.full((n_out, width), -1, dtype=np.int32)
        lengths = np.empty(n_out, dtype=np.int32)
        support = np.empty(n_out, dtype=np.int64)
        successes = np.empty(n_out, dtype=np.int64)
        weight_sum = np.empty(n_out, dtype=np.float64)
        _copy_stats(recs.data, order, lengths, support, successes, weight_sum)
        if n_out:
            _spell(
                recs.data, order, np.arange(n_out, dtype=np.int64) * width, grams.reshape(-1)
            )
    finally:
        free(recs.data)
    return NgramArrays(
        grams=grams,
        lengths=lengths,
        support=support,
        successes=successes,
        weight_sum=weight_sum,
    )


# ---------------------------------------------------------------------------
# PrefixSpan by pseudo-projection. A projection lists, per supporting
# sequence, where the pattern's leftmost match ends and where the sequence
# ends. Position q holds the first occurrence of its item after position pos
# exactly when the previous occurrence of that item lies at or before pos; a
# back-distance stored per token turns that into one comparison, so no
# per-item "seen" stamps are needed.
#
# A node knows its pattern's frequent one-item extensions ("kids") before it
# runs, and counts all of the kids' own extensions in one pass over its
# projection (a kids x kids table). Only kids that turn out to have frequent
# extensions get a projection of their own, so the many patterns near the
# support floor never have their projections written out.

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define mc_mine_prefetch(p) __builtin_prefetch(p)
    #else
    #define mc_mine_prefetch(p) ((void)(p))
    #endif
    """
    void _prefetch "mc_mine_prefetch"(const void* p) noexcept nogil


# Entries ahead whose cells are prefetched: projections hop through the whole
# database, and each entry's suffix is otherwise a cache miss.
cdef Py_ssize_t _AHEAD = 8
# Largest kids x kids table (cells) counted in one pass; above it, each kid's
# extensions are counted over its own projection. A Python global so tests
# can force the second path with a small alphabet.
_PAIR_TABLE_CELLS = 1 << 20


cdef struct Cell:
    int32_t item
    int32_t back      # distance to the previous occurrence of item in its sequence


cdef inline void _prefetch_suffix(const Cell* cells, int32_t pos) noexcept nogil:
    # Two cache lines cover a typical suffix (eight cells each).
    _prefetch(&cells[pos + 1])
    _prefetch(&cells[pos + 9])


cdef struct Entry:
    int32_t pos       # last position of the pattern's leftmost match
    int32_t end       # one past the sequence's last position


cdef struct Kid:
    int64_t rec       # record index of the extended pattern
    int64_t support
    int64_t open      # supporting entries whose match does not end their sequence
    int32_t item


cdef struct Miner:
    const Cell* cells
    int64_t min_support
    Py_ssize_t max_length
    Py_ssize_t pair_cells
    int64_t* count      # per item, zero between uses
    int64_t* tail       # per item, zero between uses: matches at a sequence's end
    int32_t* touched    # items whose count became non-zero
    int32_t* slot       # per item: 1 + kid index while a node runs, else 0
    Recs recs


cdef Py_ssize_t _count_kids(
    Miner* m, const Entry* entries, Py_ssize_t n_entries, Kid** out
) noexcept nogil:
    """Frequent one-item extensions over a projection; ``*out`` is malloc'd. -1: no memory."""
    cdef const Cell* cells = m.cells
    cdef int64_t* count = m.count
    cdef int64_t* tail = m.tail
    cdef Py_ssize_t e, q, i, t, n_touched = 0, n_kids = 0
    cdef int32_t pos, end
    cdef int64_t c, best = 0
    cdef Kid* kids
    out[0] = NULL
    for e in range(n_entries):
        # Nothing can reach min_support once the best count so far plus one
        # per remaining entry falls short: near the floor this ends scans early.
        if best + (n_entries - e) < m.min_support:
            break
        if e + _AHEAD < n_entries:
            _prefetch_suffix(cells, entries[e + _AHEAD].pos)
        pos = entries[e].pos
        end = entries[e].end
        for q in range(pos + 1, end):
            if cells[q].back >= q - pos:
                t = cells[q].item
                c = count[t]
                if c == 0:
                    m.touched[n_touched] = <int32_t>t
                    n_touched += 1
                count[t] = c + 1
                if c >= best:
                    best = c + 1
        q = end - 1
        if q > pos and cells[q].back >= q - pos:
            tail[cells[q].item] += 1
    if best >= m.min_support:
        for i in range(n_touched):
            if count[m.touched[i]] >= m.min_support:
                n_kids += 1
    kids = NULL
    if n_kids > 0:
        kids = <Kid*>malloc(n_kids * sizeof(Kid))
    n_kids = 0
    for i in range(n_touched):
        t = m.touched[i]
        if kids != NULL and count[t] >= m.min_support:
            kids[n_kids].item = <int32_t>t
            kids[n_kids].support = count[t]
            kids[n_kids].open = count[t] - tail[t]
            kids[n_kids].rec = -1
            n_kids += 1
        count[t] = 0
        tail[t] = 0
    if best >= m.min_support and kids == NULL:
        return -1
    out[0] = kids
    return n_kids


cdef int _record(
    Miner* m, Kid* kids, Py_ssize_t n_kids, int64_t parent, int32_t length
) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n_kids):
        kids[i].rec = _push(&m.recs, parent, kids[i].item, length, kids[i].support)
        if kids[i].rec < 0:
            return -1
    return 0


cdef Entry* _project(
    Miner* m,
    const Entry* entries,
    Py_ssize_t n_entries,
    const Kid* kids,
    Py_ssize_t n_kids,
    const uint8_t* chosen,
    Py_ssize_t* starts,
    Py_ssize_t* fills,
) noexcept nogil:
    """Write the projections of the chosen kids into one block; NULL: no memory.

    Kid ``i`` gets ``block[starts[i]:fills[i]]``. A match at the sequence's
    last position leaves nothing to extend, so it is not kept.
    """
    cdef const Cell* cells = m.cells
    cdef int32_t* slot = m.slot
    cdef Py_ssize_t e, q, i, total = 0
    cdef int32_t pos, end
    cdef Entry* block
    cdef Entry* out
    for i in range(n_kids):
        starts[i] = total
        fills[i] = total
        if chosen[i]:
            total += kids[i].open
    block = <Entry*>malloc((total + 1) * sizeof(Entry))
    if block == NULL:
        return NULL
    for i in range(n_kids):
        if chosen[i]:
            slot[kids[i].item] = <int32_t>(i + 1)
    for e in range(n_entries):
        if e + _AHEAD < n_entries:
            _prefetch_suffix(cells, entries[e + _AHEAD].pos)
        pos = entries[e].pos
        end = entries[e].end
        for q in range(pos + 1, end - 1):
            if cells[q].back >= q - pos:
                i = slot[cells[q].item] - 1
                if i >= 0:
                    out = &block[fills[i]]
                    out.pos = <int32_t>q
                    out.end = end
                    fills[i] += 1
    for i in range(n_kids):
        slot[kids[i].item] = 0
    return block


cdef inline int64_t _count_row(
    const Cell* cells,
    const int32_t* slot,
    int32_t* row,
    int32_t* tail_row,
    Py_ssize_t q,
    Py_ssize_t end,
    int64_t best,
) noexcept nogil:
    """Add one to ``row[1 + j]`` for each kid j first seen after position q; new row maximum.

    ``tail_row[1 + j]`` counts the kids first seen at the sequence's last
    position. Column 0 absorbs items that are not kids, which keeps the loop
    free of data-dependent branches.
    """
    cdef Py_ssize_t r
    cdef int32_t c, hit
    cdef int32_t* cell
    for r in range(q + 1, end):
        hit = cells[r].back >= r - q
        cell = &row[slot[cells[r].item]]
        c = cell[0] + hit
        cell[0] = c
        best = c if c > best else best
    r = end - 1
    tail_row[slot[cells[r].item]] += cells[r].back >= r - q
    return best


cdef Py_ssize_t _count_pairs(
    Miner* m,
    const Entry* entries,
    Py_ssize_t n_entries,
    const Kid* kids,
    Py_ssize_t n_kids,
    int32_t* table,
    int32_t* tails,
) noexcept nogil:
    """``table[i * (n_kids + 1) + 1 + j]``: entries where kid j follows kid i's first match.

    ``tails`` counts the part of those where kid j's match ends the sequence.
    Returns the number of frequent pairs, or -1 without memory. A row stops
    being counted once its best cell cannot reach min_support even if every
    remaining extendable entry holding kid i added to it; such rows stay below
    the floor, and the scan ends when no row is left.
    """
    cdef const Cell* cells = m.cells
    cdef int32_t* slot = m.slot
    cdef int64_t* seen = <int64_t*>malloc(n_kids * sizeof(int64_t))
    cdef int64_t* best = <int64_t*>malloc(n_kids * sizeof(int64_t))
    cdef uint8_t* dead = <uint8_t*>malloc(n_kids * sizeof(uint8_t))
    cdef Py_ssize_t e, q, i, j, alive = 0, frequent = 0
    cdef Py_ssize_t width = n_kids + 1
    cdef int32_t pos, end
    cdef int32_t* row
    if seen == NULL or best == NULL or dead == NULL:
        free(seen)
        free(best)
        free(dead)
        return -1
    for i in range(n_kids):
        seen[i] = 0
        best[i] = 0
        dead[i] = kids[i].open < m.min_support
        alive += not dead[i]
        slot[kids[i].item] = <int32_t>(i + 1)
    for e in range(n_entries):
        if alive == 0:
            break
        if e + _AHEAD < n_entries:
            _prefetch_suffix(cells, entries[e + _AHEAD].pos)
        pos = entries[e].pos
        end = entries[e].end
        for q in range(pos + 1, end - 1):
            if cells[q].back < q - pos:
                continue
            i = slot[cells[q].item] - 1
            if i < 0:
                continue
            seen[i] += 1
            if dead[i]:
                continue
            if best[i] + (kids[i].open - seen[i] + 1) < m.min_support:
                dead[i] = True
                alive -= 1
                continue
            best[i] = _count_row(
                cells, slot, table + i * width, tails + i * width, q, end, best[i]
            )
    for i in range(n_kids):
        slot[kids[i].item] = 0
        if best[i] >= m.min_support:
            row = table + i * width + 1
            for j in range(n_kids):
                if row[j] >= m.min_support:
                    frequent += 1
    free(seen)
    free(best)
    free(dead)
    return frequent


cdef int _expand(
    Miner* m, const Entry* entries, Py_ssize_t n_entries, Kid* kids, Py_ssize_t n_kids,
    int32_t depth,
) noexcept nogil:
    """Record the frequent extensions of every kid of a pattern, then recurse.

    The pattern has length ``depth``; its kids (length ``depth + 1``) are
    recorded already.
    """
    if m.max_length >= 0 and depth + 2 > m.max_length:
        return 0
    if n_kids * n_kids <= m.pair_cells:
        return _expand_pairs(m, entries, n_entries, kids, n_kids, depth)
    return _expand_each(m, entries, n_entries, kids, n_kids, depth)


cdef int _expand_each(
    Miner* m, const Entry* entries, Py_ssize_t n_entries, Kid* kids, Py_ssize_t n_kids,
    int32_t depth,
) noexcept nogil:
    """Project every kid, then count its extensions over its own projection."""
    cdef uint8_t* chosen = <uint8_t*>malloc(n_kids * sizeof(uint8_t))
    cdef Py_ssize_t* starts = <Py_ssize_t*>malloc(n_kids * sizeof(Py_ssize_t))
    cdef Py_ssize_t* fills = <Py_ssize_t*>malloc(n_kids * sizeof(Py_ssize_t))
    cdef Entry* block = NULL
    cdef Kid* grandkids = NULL
    cdef Py_ssize_t i, n_entries_i, n_grandkids
    try:
        if chosen == NULL or starts == NULL or fills == NULL:
            return -1
        memset(chosen, 1, n_kids * sizeof(uint8_t))
        block = _project(m, entries, n_entries, kids, n_kids, chosen, starts, fills)
        if block == NULL:
            return -1
        for i in range(n_kids):
            n_entries_i = fills[i] - starts[i]
            if n_entries_i < m.min_support:
                continue
            n_grandkids = _count_kids(m, block + starts[i], n_entries_i, &grandkids)
            if n_grandkids < 0:
                return -1
            if n_grandkids > 0:
                if _record(m, grandkids, n_grandkids, kids[i].rec, depth + 2) != 0:
                    return -1
                if _expand(
                    m, block + starts[i], n_entries_i, grandkids, n_grandkids, depth + 1
                ) != 0:
                    return -1
            free(grandkids)
            grandkids = NULL
        return 0
    finally:
        free(chosen)
        free(starts)
        free(fills)
        free(block)
        free(grandkids)


cdef int _expand_pairs(
    Miner* m, const Entry* entries, Py_ssize_t n_entries, Kid* kids, Py_ssize_t n_kids,
    int32_t depth,
) noexcept nogil:
    """Count all kids' extensions in one pass; project only kids that have some."""
    cdef Py_ssize_t width = n_kids + 1
    cdef int32_t* table = <int32_t*>calloc(n_kids * width, sizeof(int32_t))
    cdef int32_t* tails = <int32_t*>calloc(n_kids * width, sizeof(int32_t))
    cdef uint8_t* chosen = <uint8_t*>calloc(n_kids, sizeof(uint8_t))
    cdef Py_ssize_t* starts = <Py_ssize_t*>malloc(n_kids * sizeof(Py_ssize_t))
    cdef Py_ssize_t* fills = <Py_ssize_t*>malloc(n_kids * sizeof(Py_ssize_t))
    cdef Py_ssize_t* first = <Py_ssize_t*>malloc((n_kids + 1) * sizeof(Py_ssize_t))
    cdef Entry* block = NULL
    cdef Kid* grandkids = NULL
    cdef Py_ssize_t i, j, n_pairs, k = 0
    cdef bint deeper = m.max_length < 0 or depth + 3 <= m.max_length
    cdef bint any_chosen = False
    cdef int32_t* row
    try:
        if (
            table == NULL or tails == NULL or chosen == NULL or starts == NULL
            or fills == NULL or first == NULL
        ):
            return -1
        n_pairs = _count_pairs(m, entries, n_entries, kids, n_kids, table, tails)
        if n_pairs <= 0:
            return <int>n_pairs
        grandkids = <Kid*>malloc(n_pairs * sizeof(Kid))
        if grandkids == NULL:
            return -1
        for i in range(n_kids):
            first[i] = k
            row = table + i * width + 1
            for j in range(n_kids):
                if row[j] >= m.min_support:
                    grandkids[k].item = kids[j].item
                    grandkids[k].support = row[j]
                    grandkids[k].open = row[j] - tails[i * width + 1 + j]
                    k += 1
            if _record(m, grandkids + first[i], k - first[i], kids[i].rec, depth + 2) != 0:
                return -1
            if deeper and k > first[i]:
                chosen[i] = 1
                any_chosen = True
        first[n_kids] = k
        free(table)
        free(tails)
        table = NULL
        tails = NULL
        if not any_chosen:
            return 0
        block = _project(m, entries, n_entries, kids, n_kids, chosen, starts, fills)
        if block == NULL:
            return -1
        for i in range(n_kids):
            if chosen[i] and _expand(
                m, block + starts[i], fills[i] - starts[i], grandkids + first[i],
                first[i + 1] - first[i], depth + 1,
            ) != 0:
                return -1
        return 0
    finally:
        free(table)
        free(tails)
        free(chosen)
        free(starts)
        free(fills)
        free(first)
        free(block)
        free(grandkids)


cdef int _lay_out(
    const int32_t* tok,
    const int64_t* off,
    Py_ssize_t n_seq,
    Py_ssize_t n_items,
    Cell* cells,
    Entry* roots,
    Py_ssize_t* n_roots,
) noexcept nogil:
    """Fill ``cells`` and one root entry per non-empty sequence; -1: no memory."""
    cdef Py_ssize_t s, p, t
    cdef int64_t* last_pos = <int64_t*>malloc((n_items + 1) * sizeof(int64_t))
    if last_pos == NULL:
        return -1
    for t in range(n_items):
        last_pos[t] = -1
    n_roots[0] = 0
    for s in range(n_seq):
        if off[s + 1] == off[s]:
            continue
        for p in range(off[s], off[s + 1]):
            t = tok[p]
            cells[p].item = <int32_t>t
            cells[p].back = INT32_MAX
            if last_pos[t] >= off[s]:
                cells[p].back = <int32_t>(p - last_pos[t])
            last_pos[t] = p
        roots[n_roots[0]].pos = <int32_t>(off[s] - 1)
        roots[n_roots[0]].end = <int32_t>off[s + 1]
        n_roots[0] += 1
    free(last_pos)
    return 0


cdef int _prefixspan_mine(
    const int32_t* tok,
    const int64_t* off,
    Py_ssize_t n_seq,
    Py_ssize_t n_tokens,
    Py_ssize_t n_items,
    Miner* m,
) noexcept nogil:
    # Spare cells keep prefetch addresses (up to 9 past a position) inside the block.
    cdef Cell* cells = <Cell*>malloc((n_tokens + 16) * sizeof(Cell))
    cdef Entry* roots = <Entry*>malloc((n_seq + 1) * sizeof(Entry))
    cdef Kid* kids = NULL
    cdef Py_ssize_t t, n_kids, n_roots
    m.count = <int64_t*>malloc((n_items + 1) * sizeof(int64_t))
    m.tail = <int64_t*>malloc((n_items + 1) * sizeof(int64_t))
    m.touched = <int32_t*>malloc((n_items + 1) * sizeof(int32_t))
    m.slot = <int32_t*>malloc((n_items + 1) * sizeof(int32_t))
    try:
        if (
            cells == NULL or roots == NULL
            or m.count == NULL or m.tail == NULL or m.touched == NULL or m.slot == NULL
        ):
            return -1
        for t in range(n_items):
            m.count[t] = 0
            m.tail[t] = 0
            m.slot[t] = 0
        if _lay_out(tok, off, n_seq, n_items, cells, roots, &n_roots) != 0:
            return -1
        m.cells = cells
        n_kids = _count_kids(m, roots, n_roots, &kids)
        if n_kids < 0 or _record(m, kids, n_kids, -1, 1) != 0:
            return -1
        return _expand(m, roots, n_roots, kids, n_kids, 0)
    finally:
        free(cells)
        free(roots)
        free(kids)
        free(m.count)
        free(m.tail)
        free(m.touched)
        free(m.slot)
        m.cells = NULL
        m.count = NULL
        m.tail = NULL
        m.touched = NULL
        m.slot = NULL


def prefixspan(tokens, offsets, *, min_support, max_length=None, n_items=None):
    """Find every gapped subsequence held by ``min_support`` sequences (PrefixSpan).

    See :func:`memory_core._kernels._mining_py.prefixspan` for the contract.
    """
    db = check_database(tokens, offsets, n_items)
    cdef int64_t support_floor = check_min_support(min_support)
    cdef Py_ssize_t limit = check_max_length(max_length)
    cdef const int32_t[::1] tok = db.tokens
    cdef const int64_t[::1] off = db.offsets
    cdef Py_ssize_t n_seq = off.shape[0] - 1
    cdef Py_ssize_t n_tokens = tok.shape[0]
    cdef Py_ssize_t items = db.n_items
    cdef int32_t empty_token = 0
    cdef const int32_t* tok_ptr = &tok[0] if n_tokens > 0 else &empty_token
    cdef Miner m
    cdef int status
    memset(&m, 0, sizeof(Miner))
    m.min_support = support_floor
    m.max_length = limit
    m.pair_cells = _PAIR_TABLE_CELLS
    try:
        with nogil:
            status = _prefixspan_mine(tok_ptr, &off[0], n_seq, n_tokens, items, &m)
        if status != 0:
            raise MemoryError("out of memory while mining sequential patterns")
        order = _output_order(&m.recs, items, 1)
        n_out = order.shape[0]
        lengths = np.empty(n_out, dtype=np.int32)
        support = np.empty(n_out, dtype=np.int64)
        _copy_stats(m.recs.data, order, lengths, support, None, None)
        out_offsets = np.zeros(n_out + 1, dtype=np.int64)
        np.cumsum(lengths, out=out_offsets[1:])
        flat = np.empty(out_offsets[n_out], dtype=np.int32)
        if n_out:
            _spell(m.recs.data, order, out_offsets, flat)
    finally:
        free(m.recs.data)
    return PatternArrays(items=flat, offsets=out_offsets, support=support)
