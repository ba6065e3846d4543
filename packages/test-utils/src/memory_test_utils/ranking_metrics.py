"""Ranking-quality metrics and latency percentiles, as pure functions.

A ranking is a sequence of document ids, best first. Judgements map document ids to
grades; a grade above 0 means relevant (the harness uses 1 for relevant and 2 for highly
relevant). Ids in the ranking but not in the judgements count as grade 0.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

__all__ = ["ndcg_at_k", "percentiles", "recall_at_k", "reciprocal_rank"]

Doc = TypeVar("Doc", bound=Hashable)


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")


def recall_at_k(ranking: Sequence[Doc], relevant: Mapping[Doc, int], k: int) -> float:
    """Share of the relevant documents found in the first ``k`` of ``ranking``.

    0.0 when nothing is relevant (such a query cannot be answered, so it earns nothing).
    """
    _check_k(k)
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    if not wanted:
        return 0.0
    found = wanted.intersection(ranking[:k])
    return len(found) / len(wanted)


def reciprocal_rank(ranking: Sequence[Doc], relevant: Mapping[Doc, int]) -> float:
    """1 / rank of the first relevant document (ranks from 1); 0.0 if none is ranked."""
    for rank, doc in enumerate(ranking, start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def _dcg(grades: Sequence[int]) -> float:
    # Linear gain (the grade itself) with the log2(rank + 1) discount.
    return sum(grade / math.log2(rank + 1) for rank, grade in enumerate(grades, start=1))


def ndcg_at_k(ranking: Sequence[Doc], relevant: Mapping[Doc, int], k: int) -> float:
    """Normalized discounted cumulative gain of the first ``k`` of ``ranking``.

    The gain of a document is its grade, discounted by ``log2(rank + 1)``; the ideal
    ranking puts the ``k`` highest grades first. 0.0 when nothing is relevant. A document
    listed twice counts once (at its first rank).
    """
    _check_k(k)
    ideal = sorted((grade for grade in relevant.values() if grade > 0), reverse=True)[:k]
    if not ideal:
        return 0.0
    seen: set[Doc] = set()
    gains = []
    for doc in ranking[:k]:
        gains.append(0 if doc in seen else max(0, relevant.get(doc, 0)))
        seen.add(doc)
    return _dcg(gains) / _dcg(ideal)


def percentiles(
    values: Sequence[float], points: Sequence[float] = (50.0, 95.0, 99.0)
) -> dict[float, float]:
    """The ``points`` percentiles (0-100) of ``values``, linearly interpolated between ranks.

    Same definition as numpy's default (``method="linear"``).

    Raises:
        ValueError: ``values`` is empty or a point is outside [0, 100].
    """
    if not values:
        raise ValueError("percentiles of an empty sequence are undefined")
    ordered = sorted(values)
    last = len(ordered) - 1
    result: dict[float, float] = {}
    for point in points:
        if not 0.0 <= point <= 100.0:
            raise ValueError(f"percentile points must be within [0, 100], got {point!r}")
        position = last * point / 100.0
        low = math.floor(position)
        high = min(low + 1, last)
        fraction = position - low
        result[point] = ordered[low] + (ordered[high] - ordered[low]) * fraction
    return result
