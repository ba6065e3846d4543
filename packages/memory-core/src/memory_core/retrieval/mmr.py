"""Maximal marginal relevance: trade a little relevance for less redundancy."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["mmr_order"]


def mmr_order(
    relevance: npt.NDArray[np.float64],
    similarity: npt.NDArray[np.float64],
    diversity: float,
    limit: int,
) -> list[int]:
    """Positions of up to ``limit`` items in MMR order.

    Each step picks the item maximizing
    ``(1 - diversity) * relevance - diversity * max similarity to those picked``;
    the first pick is the most relevant. Ties go to the earlier position, so
    the order is deterministic when ``relevance`` is given best first.

    Args:
        relevance: one score per item.
        similarity: the items' pairwise similarity matrix.
        diversity: in [0, 1]; 0 gives plain relevance order.
        limit: how many positions to return.
    """
    count = min(limit, len(relevance))
    if count <= 0:
        return []
    picked: list[int] = []
    redundancy = np.full(len(relevance), -np.inf)
    available = np.ones(len(relevance), dtype=bool)
    for _ in range(count):
        penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
        value = (1.0 - diversity) * relevance - diversity * penalty
        value = np.where(available, value, -np.inf)
        best = int(np.argmax(value))
        picked.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, similarity[best])
    return picked
