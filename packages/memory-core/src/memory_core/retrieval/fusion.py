"""Mixing signals into one score and picking the best rows, deterministically."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["fuse", "top_rows"]


def fuse(
    signals: Mapping[str, npt.NDArray[np.float64]],
    weights: Mapping[str, float],
    names: Sequence[str],
    size: int,
) -> npt.NDArray[np.float64]:
    """Weighted mean of the ``names`` signals (each an array of ``size`` values)."""
    fused = np.zeros(size, dtype=np.float64)
    for name in names:
        fused += weights[name] * signals[name]
    fused /= sum(weights[name] for name in names)
    return fused


def top_rows(
    scores: npt.NDArray[np.float64], limit: int, tie_key: Callable[[int], bytes]
) -> list[int]:
    """Positions of the ``limit`` highest scores, best first; ties broken by ``tie_key``.

    Every row tied with the cut-off score is kept for the final sort, so which
    of several equal rows is returned never depends on partition order.
    """
    count = min(limit, len(scores))
    if count <= 0:
        return []
    chosen = np.arange(len(scores))
    if len(scores) > count:
        cutoff = scores[np.argpartition(-scores, count - 1)[:count]].min()
        chosen = np.flatnonzero(scores >= cutoff)
    return sorted(chosen.tolist(), key=lambda i: (-scores[i], tie_key(i)))[:count]
