"""Frequent patterns across sequences: contiguous n-grams and gapped subsequences.

Sequences hold any hashable items (tool names, actions, ids). They are encoded
to integers in first-seen order and mined by compiled kernels; results come
back decoded. Support always counts *sequences*: a pattern occurring twice in
one sequence counts once.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import Any, TypeVar

import msgspec
import numpy as np
import numpy.typing as npt

from . import _kernels
from .errors import ValidationError

__all__ = ["NgramStat", "encode_sequences", "frequent_sequences", "mine_ngrams"]

H = TypeVar("H", bound=Hashable)


class NgramStat(msgspec.Struct, frozen=True, kw_only=True):
    """A frequent contiguous run of items, with statistics over the sequences holding it."""

    items: tuple[Any, ...]
    """The run, decoded back to the caller's items."""
    support: int
    """Number of sequences containing the run at least once."""
    successes: int
    """Supporting sequences flagged successful (0 when no flags were given)."""
    mean_weight: float | None
    """Mean over supporting sequences of the summed weights of the run's first
    occurrence; ``None`` when no weights were given."""

    @property
    def success_rate(self) -> float:
        """``successes / support``."""
        return self.successes / self.support


def encode_sequences(
    sequences: Iterable[Iterable[H]],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64], list[H]]:
    """Encode sequences of hashable items as integer arrays for the mining kernels.

    Items get codes ``0, 1, 2, ...`` in first-seen order.

    Args:
        sequences: Any iterable of iterables of hashable items; it is read once.

    Returns:
        ``(tokens, offsets, vocabulary)``: ``tokens`` (int32) holds every
        sequence's codes concatenated; sequence ``i`` is
        ``tokens[offsets[i]:offsets[i + 1]]`` (``offsets`` is int64 with
        ``len(sequences) + 1`` entries); ``vocabulary[code]`` is the item.

    Raises:
        TypeError: An item is not hashable.

    Example:
        >>> tokens, offsets, vocabulary = encode_sequences([["a", "b"], [], ["b", "c", "a"]])
        >>> tokens.tolist(), offsets.tolist(), vocabulary
        ([0, 1, 1, 2, 0], [0, 2, 2, 5], ['a', 'b', 'c'])
    """
    # A missing item gets the current size as its code: first-seen order,
    # with the lookup loop running in C (map over __getitem__).
    codes: defaultdict[H, int] = defaultdict()
    codes.default_factory = codes.__len__
    flat = array("i")
    ends = array("q", [0])
    for sequence in sequences:
        flat.extend(map(codes.__getitem__, sequence))
        ends.append(len(flat))
    tokens = np.frombuffer(flat, dtype=np.intc).astype(np.int32)
    offsets = np.frombuffer(ends, dtype=np.int64).copy()
    return tokens, offsets, list(codes)


def frequent_sequences(
    sequences: Iterable[Iterable[H]],
    *,
    min_support: int | float,
    max_length: int | None = None,
    contiguous: bool = False,
) -> list[tuple[tuple[H, ...], int]]:
    """Find every pattern contained in at least ``min_support`` sequences.

    With ``contiguous=False`` a pattern is a gapped subsequence (its items
    appear in order, anything may come between them): exactly the patterns
    PrefixSpan finds. With ``contiguous=True`` it must appear as an unbroken
    run (an n-gram).

    Args:
        sequences: Any iterable of iterables of hashable items.
        min_support: An ``int >= 1`` (number of sequences), or a ``float`` in
            ``(0, 1]`` (fraction of the sequences, rounded up, at least 1).
        max_length: Longest pattern reported; ``None`` for no limit.
        contiguous: Count contiguous runs instead of gapped subsequences.

    Returns:
        ``(pattern, support)`` pairs for patterns of length 1 up to
        ``max_length``, ordered by descending support, then shorter first,
        then by the items' first-seen order in ``sequences``.

    Raises:
        ValidationError: ``min_support`` or ``max_length`` is out of range.
        TypeError: An item is not hashable.

    Example:
        >>> db = [["plan", "edit", "test"], ["plan", "test"], ["edit", "test"]]
        >>> for pattern, support in frequent_sequences(db, min_support=2):
        ...     print(support, pattern)
        3 ('test',)
        2 ('plan',)
        2 ('edit',)
        2 ('plan', 'test')
        2 ('edit', 'test')
        >>> frequent_sequences(db, min_support=2, max_length=1, contiguous=True)
        [(('test',), 3), (('plan',), 2), (('edit',), 2)]
        >>> frequent_sequences(db, min_support=1.0, contiguous=True)
        [(('test',), 3)]
    """
    limit = _check_max_length(max_length, "max_length")
    tokens, offsets, vocabulary = encode_sequences(sequences)
    floor = _absolute_support(min_support, offsets.size - 1)
    n_items = len(vocabulary)
    if contiguous:
        grams = _kernels.mine_ngrams(
            tokens, offsets, min_n=1, max_n=limit, min_support=floor, n_items=n_items
        )
        rows = grams.grams.tolist()
        lengths = grams.lengths.tolist()
        return [
            (tuple([vocabulary[code] for code in row[:length]]), support)
            for row, length, support in zip(rows, lengths, grams.support.tolist(), strict=True)
        ]
    found = _kernels.prefixspan(
        tokens, offsets, min_support=floor, max_length=limit, n_items=n_items
    )
    items = [vocabulary[code] for code in found.items.tolist()]
    bounds = found.offsets.tolist()
    return [
        (tuple(items[bounds[i] : bounds[i + 1]]), support)
        for i, support in enumerate(found.support.tolist())
    ]


def mine_ngrams(
    sequences: Iterable[Iterable[H]],
    *,
    min_n: int = 2,
    max_n: int | None = 5,
    min_support: int | float = 1,
    success: Iterable[bool] | None = None,
    weights: Iterable[Iterable[float]] | None = None,
) -> list[NgramStat]:
    """Find frequent contiguous runs of ``min_n`` to ``max_n`` items, with statistics.

    Args:
        sequences: Any iterable of iterables of hashable items.
        min_n: Shortest run reported (``>= 1``).
        max_n: Longest run reported (``>= min_n``); ``None`` for no limit.
        min_support: An ``int >= 1`` (number of sequences), or a ``float`` in
            ``(0, 1]`` (fraction of the sequences, rounded up, at least 1).
        success: One flag per sequence (for example whether the episode
            succeeded); counted into :attr:`NgramStat.successes`.
        weights: One number per item of every sequence (for example step
            latency), shaped like ``sequences``; a run's weight in a sequence
            is the sum over its first occurrence there.

    Returns:
        One :class:`NgramStat` per run, ordered by descending support, then
        shorter first, then by the items' first-seen order.

    Raises:
        ValidationError: A length or support bound is out of range, or
            ``success``/``weights`` do not match ``sequences`` in shape.
        TypeError: An item is not hashable.

    Example:
        >>> db = [["plan", "edit", "test"], ["plan", "edit"], ["edit", "test"]]
        >>> stats = mine_ngrams(db, min_support=2, success=[True, False, True],
        ...                     weights=[[1.0, 2.0, 3.0], [1.0, 4.0], [2.0, 3.0]])
        >>> [(s.items, s.support, s.successes, s.mean_weight) for s in stats]
        [(('plan', 'edit'), 2, 1, 4.0), (('edit', 'test'), 2, 2, 5.0)]
    """
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise ValidationError(f"min_n must be an integer >= 1; got {min_n!r}", field="min_n")
    limit = _check_max_length(max_n, "max_n")
    if limit is not None and limit < min_n:
        raise ValidationError(f"max_n must be >= min_n={min_n}; got {limit}", field="max_n")
    tokens, offsets, vocabulary = encode_sequences(sequences)
    n_seq = offsets.size - 1
    floor = _absolute_support(min_support, n_seq)
    flags = None if success is None else _success_flags(success, n_seq)
    values = None if weights is None else _token_weights(weights, offsets)
    found = _kernels.mine_ngrams(
        tokens,
        offsets,
        min_n=min_n,
        max_n=limit,
        min_support=floor,
        success=flags,
        weights=values,
        n_items=len(vocabulary),
    )
    stats = []
    for row, length, support, successes, weight_sum in zip(
        found.grams.tolist(),
        found.lengths.tolist(),
        found.support.tolist(),
        found.successes.tolist(),
        found.weight_sum.tolist(),
        strict=True,
    ):
        stats.append(
            NgramStat(
                items=tuple([vocabulary[code] for code in row[:length]]),
                support=support,
                successes=successes,
                mean_weight=None if values is None else weight_sum / support,
            )
        )
    return stats


def _absolute_support(min_support: int | float, n_sequences: int) -> int:
    """``min_support`` as a number of sequences."""
    if isinstance(min_support, bool) or not isinstance(min_support, int | float):
        raise ValidationError(
            f"min_support must be an int >= 1 or a float in (0, 1]; got {min_support!r}",
            field="min_support",
        )
    if isinstance(min_support, int):
        if min_support < 1:
            raise ValidationError(
                f"min_support must be >= 1 as a count of sequences; got {min_support}",
                field="min_support",
            )
        return min_support
    if not 0.0 < min_support <= 1.0:
        raise ValidationError(
            f"min_support as a fraction of sequences must be in (0, 1]; got {min_support}",
            field="min_support",
        )
    # Rounded first so 0.3 of 10 is 3, not the 4 that 3.0000000000000004 would give.
    return max(1, math.ceil(round(min_support * n_sequences, 9)))


def _check_max_length(value: int | None, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            f"{field} must be an integer >= 1 or None; got {value!r}", field=field
        )
    return value


def _success_flags(success: Iterable[bool], n_sequences: int) -> npt.NDArray[np.bool_]:
    flags = np.fromiter((bool(flag) for flag in success), dtype=np.bool_)
    if flags.size != n_sequences:
        raise ValidationError(
            f"success must hold one flag per sequence ({n_sequences}); got {flags.size}",
            field="success",
        )
    return flags


def _token_weights(
    weights: Iterable[Iterable[float]], offsets: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    flat = array("d")
    ends = array("q", [0])
    for row in weights:
        flat.extend(row)
        ends.append(len(flat))
    if len(ends) != offsets.size or not np.array_equal(np.frombuffer(ends, np.int64), offsets):
        raise ValidationError(
            "weights must hold one number per item of every sequence, shaped like sequences",
            field="weights",
        )
    return np.frombuffer(flat, dtype=np.float64).copy()
