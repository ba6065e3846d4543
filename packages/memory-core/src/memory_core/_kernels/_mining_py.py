"""Sequence mining in plain Python: the reference the compiled kernels must match.

Both kernels take an integer-encoded database: ``tokens`` holds every sequence
concatenated and sequence ``i`` is ``tokens[offsets[i]:offsets[i + 1]]``.
Support is always the number of *sequences* containing a pattern, however
often it occurs in each. The result types and the input checks live here and
are shared with the compiled module, so both raise the same errors and return
the same types.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["NgramArrays", "PatternArrays", "mine_ngrams", "prefixspan"]

Int32s = npt.NDArray[np.int32]
Int64s = npt.NDArray[np.int64]

# The kernels keep positions, sequence numbers, ids and counts in int32.
_MAX_TOKENS = 2**31 - 1


class NgramArrays(NamedTuple):
    """Frequent contiguous n-grams, one row per pattern, best supported first."""

    grams: Int32s
    """``(n_patterns, width)`` item ids, each row padded with ``-1`` after its length."""
    lengths: Int32s
    """Length ``n`` of each pattern."""
    support: Int64s
    """Number of sequences containing the pattern."""
    successes: Int64s
    """Supporting sequences whose ``success`` flag is set (all zero without flags)."""
    weight_sum: npt.NDArray[np.float64]
    """Over supporting sequences, the summed weights of the first occurrence's tokens."""


class PatternArrays(NamedTuple):
    """Frequent gapped subsequences, flattened, best supported first."""

    items: Int32s
    """Every pattern's item ids, concatenated."""
    offsets: Int64s
    """Pattern ``i`` is ``items[offsets[i]:offsets[i + 1]]``; length ``n_patterns + 1``."""
    support: Int64s
    """Number of sequences containing the pattern as a subsequence."""


class Database(NamedTuple):
    """Validated, C-contiguous inputs."""

    tokens: Int32s
    offsets: Int64s
    n_items: int


def check_database(tokens: object, offsets: object, n_items: int | None) -> Database:
    """Convert and check ``tokens``/``offsets``; derive ``n_items`` when not given."""
    tok = np.asarray(tokens)
    off = np.asarray(offsets)
    if tok.ndim != 1:
        raise ValueError(f"tokens must be 1-D; got ndim={tok.ndim}")
    if off.ndim != 1:
        raise ValueError(f"offsets must be 1-D; got ndim={off.ndim}")
    # An empty list arrives as float64; only non-empty arrays must be integers.
    if tok.size and tok.dtype.kind not in "iu":
        raise ValueError(f"tokens must hold integers; got dtype {tok.dtype}")
    if off.size and off.dtype.kind not in "iu":
        raise ValueError(f"offsets must hold integers; got dtype {off.dtype}")
    if off.size == 0:
        raise ValueError("offsets must have length n_sequences + 1 (at least 1); got 0")
    if tok.size > _MAX_TOKENS:
        raise ValueError(f"at most {_MAX_TOKENS} tokens are supported; got {tok.size}")
    if off.size - 1 > _MAX_TOKENS:
        raise ValueError(f"at most {_MAX_TOKENS} sequences are supported; got {off.size - 1}")
    off64 = np.ascontiguousarray(off, dtype=np.int64)
    if off64[0] != 0 or off64[-1] != tok.size:
        raise ValueError(
            f"offsets must start at 0 and end at len(tokens)={tok.size}; "
            f"got {int(off64[0])} and {int(off64[-1])}"
        )
    if off64.size > 1 and bool((np.diff(off64) < 0).any()):
        raise ValueError("offsets must be non-decreasing")
    if tok.size:
        low, high = int(tok.min()), int(tok.max())
        if low < 0:
            raise ValueError(f"token ids must be >= 0; got {low}")
    else:
        high = -1
    if n_items is None:
        n_items = high + 1
    else:
        n_items = operator.index(n_items)
        if n_items < 0:
            raise ValueError(f"n_items must be >= 0; got {n_items}")
        if high >= n_items:
            raise ValueError(f"token ids must be < n_items={n_items}; got {high}")
    if n_items > _MAX_TOKENS:
        raise ValueError(f"n_items must be <= {_MAX_TOKENS}; got {n_items}")
    return Database(np.ascontiguousarray(tok, dtype=np.int32), off64, n_items)


def check_min_support(min_support: int) -> int:
    """``min_support`` as an int >= 1."""
    min_support = operator.index(min_support)
    if min_support < 1:
        raise ValueError(f"min_support must be >= 1; got {min_support}")
    return min_support


def check_lengths(min_n: int, max_n: int | None) -> tuple[int, int]:
    """``(min_n, max_n)`` with ``1 <= min_n <= max_n``; ``None`` becomes -1 (no limit)."""
    min_n = operator.index(min_n)
    if min_n < 1:
        raise ValueError(f"min_n must be >= 1; got {min_n}")
    if max_n is None:
        return min_n, -1
    max_n = operator.index(max_n)
    if max_n < min_n:
        raise ValueError(f"max_n must be >= min_n={min_n}; got {max_n}")
    return min_n, max_n


def check_max_length(max_length: int | None) -> int:
    """``max_length`` as an int >= 1, or -1 for no limit."""
    if max_length is None:
        return -1
    max_length = operator.index(max_length)
    if max_length < 1:
        raise ValueError(f"max_length must be >= 1 or None; got {max_length}")
    return max_length


def check_success(success: object, n_seq: int) -> npt.NDArray[np.uint8] | None:
    """Per-sequence flags as uint8 0/1, or ``None``."""
    if success is None:
        return None
    flags = np.asarray(success)
    if flags.shape != (n_seq,):
        raise ValueError(
            f"success must have shape ({n_seq},), one flag per sequence; got {flags.shape}"
        )
    if flags.size and flags.dtype.kind not in "biu":
        raise ValueError(f"success must hold booleans or 0/1 integers; got dtype {flags.dtype}")
    return np.ascontiguousarray(flags != 0, dtype=np.uint8)


def check_weights(weights: object, n_tokens: int) -> npt.NDArray[np.float64] | None:
    """Per-token weights as float64, or ``None``."""
    if weights is None:
        return None
    values = np.asarray(weights)
    if values.shape != (n_tokens,):
        raise ValueError(
            f"weights must have shape ({n_tokens},), one weight per token; got {values.shape}"
        )
    if values.size and values.dtype.kind not in "biuf":
        raise ValueError(f"weights must hold real numbers; got dtype {values.dtype}")
    return np.ascontiguousarray(values, dtype=np.float64)


def mine_ngrams(
    tokens: npt.ArrayLike,
    offsets: npt.ArrayLike,
    *,
    min_n: int = 2,
    max_n: int | None = 5,
    min_support: int = 1,
    success: npt.ArrayLike | None = None,
    weights: npt.ArrayLike | None = None,
    n_items: int | None = None,
) -> NgramArrays:
    """Count the contiguous n-grams (``min_n <= n <= max_n``) held by ``min_support`` sequences.

    Args:
        tokens: Item ids (``0 <= id < n_items``) of all sequences, concatenated.
        offsets: ``n_sequences + 1`` non-decreasing bounds, from 0 to ``len(tokens)``.
        min_n: Shortest n-gram reported, ``>= 1``.
        max_n: Longest n-gram reported, ``>= min_n``; ``None`` for no limit.
        min_support: Least number of sequences that must contain an n-gram.
        success: Optional flag per sequence (bool or 0/1).
        weights: Optional number per token (for example a step's latency).
        n_items: Size of the id space; ``max(tokens) + 1`` when omitted.

    Returns:
        :class:`NgramArrays` ordered by descending support, then length, then
        item ids. ``grams`` is ``max_n`` wide, or as wide as the longest
        n-gram found (at least ``min_n``) without a limit. An n-gram's
        ``weight_sum`` adds, over the sequences containing it, the weights of
        the tokens of its first occurrence there (left to right), so
        ``weight_sum / support`` is its mean weight.

    Raises:
        ValueError: Malformed ``tokens``/``offsets``, an id out of range, a
            bound out of range, or ``success``/``weights`` of the wrong shape.
        TypeError: A bound is not an integer.
    """
    db = check_database(tokens, offsets, n_items)
    min_n, max_n = check_lengths(min_n, max_n)
    min_support = check_min_support(min_support)
    n_seq = db.offsets.size - 1
    flags = check_success(success, n_seq)
    w = check_weights(weights, db.tokens.size)

    tok = db.tokens.tolist()
    bounds = db.offsets.tolist()
    weight = w.tolist() if w is not None else None
    stats: dict[tuple[int, ...], list[float]] = {}
    for s in range(n_seq):
        start, end = bounds[s], bounds[s + 1]
        seq = tok[start:end]
        top = end - start if max_n < 0 else min(max_n, end - start)
        first: dict[tuple[int, ...], int] = {}
        for n in range(min_n, top + 1):
            for i in range(end - start - n + 1):
                first.setdefault(tuple(seq[i : i + n]), i)
        for gram, i in first.items():
            entry = stats.setdefault(gram, [0, 0, 0.0])
            entry[0] += 1
            if flags is not None and flags[s]:
                entry[1] += 1
            if weight is not None:
                # Left to right from the first token, as the kernel adds them.
                window = weight[start + i : start + i + len(gram)]
                total = window[0]
                for value in window[1:]:
                    total += value
                entry[2] += total

    kept = sorted(
        ((gram, entry) for gram, entry in stats.items() if entry[0] >= min_support),
        key=lambda pair: (-pair[1][0], len(pair[0]), pair[0]),
    )
    longest = max((len(gram) for gram, _ in kept), default=0)
    width = max_n if max_n >= 0 else max(min_n, longest)
    grams = np.full((len(kept), width), -1, dtype=np.int32)
    for row, (gram, _) in enumerate(kept):
        grams[row, : len(gram)] = gram
    return NgramArrays(
        grams=grams,
        lengths=np.array([len(gram) for gram, _ in kept], dtype=np.int32),
        support=np.array([entry[0] for _, entry in kept], dtype=np.int64),
        successes=np.array([entry[1] for _, entry in kept], dtype=np.int64),
        weight_sum=np.array([entry[2] for _, entry in kept], dtype=np.float64),
    )


def prefixspan(
    tokens: npt.ArrayLike,
    offsets: npt.ArrayLike,
    *,
    min_support: int,
    max_length: int | None = None,
    n_items: int | None = None,
) -> PatternArrays:
    """Find every gapped subsequence held by ``min_support`` sequences (PrefixSpan).

    A pattern is contained in a sequence when its items appear there in
    order, with anything in between. Patterns have length 1 up to
    ``max_length`` (``None``: no limit).

    Args:
        tokens: Item ids (``0 <= id < n_items``) of all sequences, concatenated.
        offsets: ``n_sequences + 1`` non-decreasing bounds, from 0 to ``len(tokens)``.
        min_support: Least number of sequences that must contain a pattern.
        max_length: Longest pattern reported, ``>= 1``, or ``None``.
        n_items: Size of the id space; ``max(tokens) + 1`` when omitted.

    Returns:
        :class:`PatternArrays` ordered by descending support, then length,
        then item ids.

    Raises:
        ValueError: Malformed ``tokens``/``offsets``, an id out of range, or a
            bound out of range.
        TypeError: A bound is not an integer.
    """
    db = check_database(tokens, offsets, n_items)
    min_support = check_min_support(min_support)
    limit = check_max_length(max_length)
    tok = db.tokens.tolist()
    bounds = db.offsets.tolist()
    sequences = [tok[bounds[s] : bounds[s + 1]] for s in range(len(bounds) - 1)]

    found: list[tuple[tuple[int, ...], int]] = []
    # A projection lists (sequence, index of the pattern's last item in its
    # leftmost match); the pattern continues after that index.
    stack: list[tuple[tuple[int, ...], list[tuple[int, int]]]] = [
        ((), [(s, -1) for s in range(len(sequences))])
    ]
    while stack:
        pattern, projection = stack.pop()
        children: dict[int, list[tuple[int, int]]] = {}
        for s, last in projection:
            seen: set[int] = set()
            seq = sequences[s]
            for i in range(last + 1, len(seq)):
                item = seq[i]
                if item not in seen:
                    seen.add(item)
                    children.setdefault(item, []).append((s, i))
        for item, child in children.items():
            if len(child) >= min_support:
                grown = (*pattern, item)
                found.append((grown, len(child)))
                if limit < 0 or len(grown) < limit:
                    stack.append((grown, child))

    found.sort(key=lambda pair: (-pair[1], len(pair[0]), pair[0]))
    lengths = np.array([len(pattern) for pattern, _ in found], dtype=np.int64)
    out_offsets = np.zeros(len(found) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out_offsets[1:])
    items = [item for pattern, _ in found for item in pattern]
    return PatternArrays(
        items=np.array(items, dtype=np.int32),
        offsets=out_offsets,
        support=np.array([support for _, support in found], dtype=np.int64),
    )
