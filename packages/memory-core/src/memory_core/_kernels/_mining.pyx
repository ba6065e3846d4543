"""Sequence mining over integer-encoded sequences (compiled kernels).

Semantics, result types and input checks come from the reference in
``_mining_py.py``; the two must agree exactly, order and float sums included.
All heavy work runs in C memory with the GIL released.
"""

import numpy as np

from libc.stdint cimport INT32_MAX, int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset

from memory_core._kernels._mining_py import (
    NgramArrays,
    PatternArrays,
    check_database,
    check_lengths,
    check_max_length,
    check_min_support,
    check_success,
    check_weights,
    sort_order,
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


cdef object _spell_out(Recs* recs, Py_ssize_t width):
    """Numpy arrays of the records: padded rows, lengths, support, successes, weights."""
    cdef Py_ssize_t n = recs.size
    rows_arr = np.full((n, width), -1, dtype=np.int32)
    lengths_arr = np.empty(n, dtype=np.int32)
    support_arr = np.empty(n, dtype=np.int64)
    successes_arr = np.empty(n, dtype=np.int64)
    weights_arr = np.empty(n, dtype=np.float64)
    cdef int32_t[:, ::1] rows = rows_arr
    cdef int32_t[::1] lengths = lengths_arr
    cdef int64_t[::1] support = support_arr
    cdef int64_t[::1] successes = successes_arr
    cdef double[::1] weights = weights_arr
    cdef Py_ssize_t i, j
    cdef Rec* rec
    with nogil:
        for i in range(n):
            rec = &recs.data[i]
            # A parent is always recorded before its children.
            if rec.parent >= 0:
                for j in range(rec.length - 1):
                    rows[i, j] = rows[rec.parent, j]
            rows[i, rec.length - 1] = rec.item
            lengths[i] = rec.length
            support[i] = rec.support
            successes[i] = rec.successes
            weights[i] = rec.weight_sum
    return rows_arr, lengths_arr, support_arr, successes_arr, weights_arr


# ---------------------------------------------------------------------------
# Contiguous n-grams, level by level. Level n keeps the positions where a
# frequent (n-1)-gram starts; an n-gram at p is a candidate only when the
# (n-1)-grams at p and at p + 1 are both frequent (anti-monotone pruning), and
# it is keyed by (id of the (n-1)-gram at p, last item).

cdef struct Slot:
    uint64_t key
    int64_t last_seq
    int64_t support
    int64_t pattern


cdef struct Table:
    Slot* slots
    Py_ssize_t capacity
    Py_ssize_t used
    int shift


cdef uint64_t _EMPTY = 0xFFFFFFFFFFFFFFFF


cdef inline Py_ssize_t _home(uint64_t key, int shift) noexcept nogil:
    # Fibonacci hashing: keys are dense small integers, so multiply to spread them.
    return <Py_ssize_t>((key * <uint64_t>0x9E3779B97F4A7C15) >> shift)


cdef int _table_init(Table* table, Py_ssize_t capacity, int shift) noexcept nogil:
    table.slots = <Slot*>malloc(capacity * sizeof(Slot))
    if table.slots == NULL:
        return -1
    # All-ones bytes: key _EMPTY, and -1 in every other field.
    memset(table.slots, 0xFF, capacity * sizeof(Slot))
    table.capacity = capacity
    table.used = 0
    table.shift = shift
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
    cdef Py_ssize_t h = _home(key, table.shift)
    while table.slots[h].key != key:
        h = (h + 1) & (table.capacity - 1)
    return &table.slots[h]


cdef inline Slot* _table_add(Table* table, uint64_t key) noexcept nogil:
    cdef Py_ssize_t h
    cdef Slot* slot
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
            slot.support = 0
            table.used += 1
            return slot
        h = (h + 1) & (table.capacity - 1)


cdef inline double _window_weight(const double* weights, Py_ssize_t p, Py_ssize_t n) noexcept nogil:
    # Left to right from the first token, exactly as the reference adds them.
    cdef double total = weights[p]
    cdef Py_ssize_t i
    for i in range(1, n):
        total += weights[p + i]
    return total


cdef int _ngram_first_level(
    const int32_t* tok,
    const int64_t* off,
    Py_ssize_t n_seq,
    Py_ssize_t n_items,
    int64_t min_support,
    const uint8_t* success,
    const double* weights,
    int32_t* pid,
    int32_t** positions,
    Py_ssize_t* n_positions,
    Recs* recs,
) noexcept nogil:
    """Single items: fill ``pid`` (pattern id or -1 per token) and the frequent positions."""
    cdef int64_t* last = <int64_t*>malloc((n_items + 1) * sizeof(int64_t))
    cdef int64_t* count = <int64_t*>malloc((n_items + 1) * sizeof(int64_t))
    cdef int64_t* occurrences = <int64_t*>malloc((n_items + 1) * sizeof(int64_t))
    cdef int32_t* ids = <int32_t*>malloc((n_items + 1) * sizeof(int32_t))
    cdef Py_ssize_t s, p, t, total = 0, k = 0
    cdef int32_t next_id = 0
    cdef Rec* r
    try:
        if last == NULL or count == NULL or occurrences == NULL or ids == NULL:
            return -1
        for t in range(n_items):
            last[t] = -1
            count[t] = 0
            occurrences[t] = 0
        for s in range(n_seq):
            for p in range(off[s], off[s + 1]):
                t = tok[p]
                occurrences[t] += 1
                if last[t] != s:
                    last[t] = s
                    count[t] += 1
        for t in range(n_items):
            ids[t] = -1
            if count[t] >= min_support:
                ids[t] = next_id
                next_id += 1
                total += occurrences[t]
                if _push(recs, -1, <int32_t>t, 1, count[t]) < 0:
                    return -1
            last[t] = -1
        positions[0] = <int32_t*>malloc((total + 1) * sizeof(int32_t))
        if positions[0] == NULL:
            return -1
        for s in range(n_seq):
            for p in range(off[s], off[s + 1]):
                t = tok[p]
                pid[p] = ids[t]
                if ids[t] < 0:
                    continue
                positions[0][k] = <int32_t>p
                k += 1
                if last[t] != s:
                    last[t] = s
                    # Level 1 is recorded first and in id order: record = id.
                    r = &recs.data[ids[t]]
                    if success != NULL and success[s]:
                        r.successes += 1
                    if weights != NULL:
                        r.weight_sum += weights[p]
        n_positions[0] = k
        return 0
    finally:
        free(last)
        free(count)
        free(occurrences)
        free(ids)


cdef int _ngram_next_level(
    const int32_t* tok,
    const int64_t* off,
    Py_ssize_t n_items,
    Py_ssize_t n,
    int64_t min_support,
    const uint8_t* success,
    const double* weights,
    int32_t* pid,
    int32_t* positions,
    Py_ssize_t* n_positions,
    Recs* recs,
    int64_t parent_base,
) noexcept nogil:
    """Grow every frequent (n-1)-gram by one item; update ``pid`` and ``positions`` in place."""
    cdef Table table
    cdef Py_ssize_t k, p, s, i, kept = 0
    cdef Py_ssize_t n_pos = n_positions[0]
    cdef Py_ssize_t base = recs.size
    cdef int32_t next_id = 0
    cdef int32_t new_id
    cdef uint64_t key
    cdef Slot* slot
    cdef Rec* r
    if _table_init(&table, 1024, 64 - 10) != 0:
        return -1

    s = 0
    for k in range(n_pos):
        p = positions[k]
        while off[s + 1] <= p:
            s += 1
        if p + n > off[s + 1] or pid[p + 1] < 0:
            continue
        key = <uint64_t>pid[p] * <uint64_t>n_items + <uint64_t>tok[p + n - 1]
        slot = _table_add(&table, key)
        if slot == NULL:
            free(table.slots)
            return -1
        if slot.last_seq != s:
            slot.last_seq = s
            slot.support += 1

    for i in range(table.capacity):
        slot = &table.slots[i]
        if slot.key == _EMPTY:
            continue
        slot.last_seq = -1
        if slot.support < min_support:
            slot.pattern = -1
            continue
        slot.pattern = next_id
        next_id += 1
        if _push(
            recs,
            parent_base + <int64_t>(slot.key // <uint64_t>n_items),
            <int32_t>(slot.key % <uint64_t>n_items),
            <int32_t>n,
            slot.support,
        ) < 0:
            free(table.slots)
            return -1

    # Writing pid[p] in place is safe: position p is never read again, and
    # p + 1 is read here before its own turn overwrites it.
    s = 0
    for k in range(n_pos):
        p = positions[k]
        while off[s + 1] <= p:
            s += 1
        new_id = -1
        if next_id > 0 and p + n <= off[s + 1] and pid[p + 1] >= 0:
            key = <uint64_t>pid[p] * <uint64_t>n_items + <uint64_t>tok[p + n - 1]
            slot = _table_find(&table, key)
            new_id = <int32_t>slot.pattern
            if new_id >= 0 and slot.last_seq != s:
                slot.last_seq = s
                r = &recs.data[base + new_id]
                if success != NULL and success[s]:
                    r.successes += 1
                if weights != NULL:
                    r.weight_sum += _window_weight(weights, p, n)
        pid[p] = new_id
        if new_id >= 0:
            positions[kept] = <int32_t>p
            kept += 1
    n_positions[0] = kept
    free(table.slots)
    return 0


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
    # pid has one spare slot so pid[p + 1] is readable for the last token.
    cdef int32_t* pid = <int32_t*>malloc((n_tokens + 1) * sizeof(int32_t))
    cdef int32_t* positions = NULL
    cdef Py_ssize_t n_positions = 0
    cdef Py_ssize_t n = 2
    cdef int64_t parent_base = 0
    cdef int64_t level_base
    if pid == NULL:
        return -1
    try:
        pid[n_tokens] = -1
        if _ngram_first_level(
            tok, off, n_seq, n_items, min_support, success, weights, pid,
            &positions, &n_positions, recs,
        ) != 0:
            return -1
        while n_positions > 0 and (max_n < 0 or n <= max_n):
            level_base = recs.size
            if _ngram_next_level(
                tok, off, n_items, n, min_support, success, weights, pid,
                positions, &n_positions, recs, parent_base,
            ) != 0:
                return -1
            parent_base = level_base
            n += 1
        return 0
    finally:
        free(pid)
        free(positions)


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
        rows, lengths, support, successes, weight_sum = _spell_out(&recs, width)
    finally:
        free(recs.data)

    keep = np.flatnonzero(lengths >= lo)
    order = keep[sort_order(rows[keep], lengths[keep], support[keep])]
    return NgramArrays(
        grams=rows[order],
        lengths=lengths[order],
        support=support[order],
        successes=successes[order],
        weight_sum=weight_sum[order],
    )


# ---------------------------------------------------------------------------
# PrefixSpan by pseudo-projection. A projection lists, per supporting
# sequence, where the pattern's leftmost match ends and where the sequence
# ends. Item q is the first occurrence of its item after position pos exactly
# when the previous occurrence of the same item lies at or before pos; a
# precomputed back-distance per token turns that into one comparison, so
# counting needs no per-item "seen" stamps.

cdef struct Cell:
    int32_t item
    int32_t back      # distance to the previous occurrence of item in its sequence


cdef struct Entry:
    int32_t pos       # last position of the pattern's leftmost match
    int32_t end       # one past the sequence's last position


cdef struct Miner:
    int64_t min_support
    Py_ssize_t max_length
    int64_t* count      # per item, zero between nodes
    int32_t* touched    # items whose count became non-zero at this node
    int32_t* slot       # per item: child index while filling projections, else -1
    Recs recs


cdef int _grow_compacted(
    Miner* m, const Cell* cells, Entry* entries, Py_ssize_t n_entries, int64_t parent
) noexcept nogil:
    """Copy the projected suffixes next to each other, then grow the pattern over the copy.

    Back-distances are relative, so copied cells keep their meaning. Deeper
    nodes then read one compact block instead of scattered lines of the whole
    database, which is what keeps their scans in cache.
    """
    cdef Py_ssize_t e, size = 0, length
    cdef Cell* block
    cdef int status
    for e in range(n_entries):
        size += entries[e].end - entries[e].pos - 1
    block = <Cell*>malloc((size + 1) * sizeof(Cell))
    if block == NULL:
        return -1
    size = 0
    for e in range(n_entries):
        length = entries[e].end - entries[e].pos - 1
        memcpy(block + size, cells + entries[e].pos + 1, length * sizeof(Cell))
        entries[e].pos = <int32_t>(size - 1)
        size += length
        entries[e].end = <int32_t>size
    status = _grow(m, block, entries, n_entries, parent, 1)
    free(block)
    return status


cdef int _grow(
    Miner* m,
    const Cell* cells,
    Entry* entries,
    Py_ssize_t n_entries,
    int64_t parent,
    int32_t depth,
) noexcept nogil:
    """Record the frequent one-item extensions of a pattern and recurse into them."""
    cdef int64_t* count = m.count
    cdef int32_t* slot = m.slot
    cdef Py_ssize_t e, q, i, t, n_touched = 0, n_kids = 0, total = 0
    cdef int32_t pos, end
    cdef int32_t* kid_items = NULL
    cdef int64_t* kid_recs = NULL
    cdef Py_ssize_t* kid_start = NULL
    cdef Py_ssize_t* kid_fill = NULL
    cdef Entry* arena = NULL
    cdef Entry* out
    cdef int status
    cdef int64_t c, best = 0

    for e in range(n_entries):
        # No item can reach min_support once even the best count so far plus
        # one per remaining entry falls short; near the support floor this
        # ends most scans early.
        if best + (n_entries - e) < m.min_support:
            break
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

    if best >= m.min_support:
        for i in range(n_touched):
            if count[m.touched[i]] >= m.min_support:
                n_kids += 1
    if n_kids == 0:
        for i in range(n_touched):
            count[m.touched[i]] = 0
        return 0

    try:
        kid_items = <int32_t*>malloc(n_kids * sizeof(int32_t))
        kid_recs = <int64_t*>malloc(n_kids * sizeof(int64_t))
        kid_start = <Py_ssize_t*>malloc(n_kids * sizeof(Py_ssize_t))
        kid_fill = <Py_ssize_t*>malloc(n_kids * sizeof(Py_ssize_t))
        if kid_items == NULL or kid_recs == NULL or kid_start == NULL or kid_fill == NULL:
            for i in range(n_touched):
                count[m.touched[i]] = 0
            return -1
        n_kids = 0
        for i in range(n_touched):
            t = m.touched[i]
            if count[t] >= m.min_support:
                kid_items[n_kids] = <int32_t>t
                kid_start[n_kids] = total
                kid_fill[n_kids] = total
                total += count[t]
                kid_recs[n_kids] = _push(&m.recs, parent, <int32_t>t, depth + 1, count[t])
                n_kids += 1
            count[t] = 0
        for i in range(n_kids):
            if kid_recs[i] < 0:
                return -1
        if m.max_length >= 0 and depth + 1 >= m.max_length:
            return 0

        arena = <Entry*>malloc(total * sizeof(Entry))
        if arena == NULL:
            return -1
        for i in range(n_kids):
            slot[kid_items[i]] = <int32_t>i
        for e in range(n_entries):
            pos = entries[e].pos
            end = entries[e].end
            # A match at end - 1 leaves nothing to extend: counted above, not kept.
            for q in range(pos + 1, end - 1):
                if cells[q].back >= q - pos:
                    i = slot[cells[q].item]
                    if i >= 0:
                        out = &arena[kid_fill[i]]
                        out.pos = <int32_t>q
                        out.end = end
                        kid_fill[i] += 1
        for i in range(n_kids):
            slot[kid_items[i]] = -1

        for i in range(n_kids):
            if kid_fill[i] - kid_start[i] < m.min_support:
                continue
            if depth == 0:
                status = _grow_compacted(
                    m, cells, arena + kid_start[i], kid_fill[i] - kid_start[i], kid_recs[i]
                )
            else:
                status = _grow(
                    m, cells, arena + kid_start[i], kid_fill[i] - kid_start[i], kid_recs[i],
                    depth + 1,
                )
            if status != 0:
                return -1
        return 0
    finally:
        free(kid_items)
        free(kid_recs)
        free(kid_start)
        free(kid_fill)
        free(arena)


cdef int _prefixspan_mine(
    const int32_t* tok,
    const int64_t* off,
    Py_ssize_t n_seq,
    Py_ssize_t n_tokens,
    Py_ssize_t n_items,
    int64_t min_support,
    Py_ssize_t max_length,
    Miner* m,
) noexcept nogil:
    cdef Cell* cells = <Cell*>malloc((n_tokens + 1) * sizeof(Cell))
    cdef int64_t* last_pos = <int64_t*>malloc((n_items + 1) * sizeof(int64_t))
    cdef Entry* roots = <Entry*>malloc((n_seq + 1) * sizeof(Entry))
    cdef Py_ssize_t s, p, t, n_roots = 0
    m.count = <int64_t*>malloc((n_items + 1) * sizeof(int64_t))
    m.touched = <int32_t*>malloc((n_items + 1) * sizeof(int32_t))
    m.slot = <int32_t*>malloc((n_items + 1) * sizeof(int32_t))
    try:
        if (
            cells == NULL or last_pos == NULL or roots == NULL
            or m.count == NULL or m.touched == NULL or m.slot == NULL
        ):
            return -1
        for t in range(n_items):
            last_pos[t] = -1
            m.count[t] = 0
            m.slot[t] = -1
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
            roots[n_roots].pos = <int32_t>(off[s] - 1)
            roots[n_roots].end = <int32_t>off[s + 1]
            n_roots += 1
        m.min_support = min_support
        m.max_length = max_length
        return _grow(m, cells, roots, n_roots, -1, 0)
    finally:
        free(cells)
        free(last_pos)
        free(roots)
        free(m.count)
        free(m.touched)
        free(m.slot)
        m.count = NULL
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
    cdef Py_ssize_t i, width = 0
    memset(&m, 0, sizeof(Miner))
    try:
        with nogil:
            status = _prefixspan_mine(
                tok_ptr, &off[0], n_seq, n_tokens, items, support_floor, limit, &m
            )
        if status != 0:
            raise MemoryError("out of memory while mining sequential patterns")
        for i in range(m.recs.size):
            width = max(width, m.recs.data[i].length)
        rows, lengths, support, _, _ = _spell_out(&m.recs, width)
    finally:
        free(m.recs.data)

    order = sort_order(rows, lengths, support)
    lengths = lengths[order]
    out_offsets = np.zeros(lengths.shape[0] + 1, dtype=np.int64)
    np.cumsum(lengths, out=out_offsets[1:])
    rows = rows[order]
    items_out = rows[np.arange(rows.shape[1])[None, :] < lengths[:, None]]
    return PatternArrays(
        items=np.ascontiguousarray(items_out, dtype=np.int32),
        offsets=out_offsets,
        support=support[order],
    )
