"""Confidence and effectiveness arithmetic: Wilson lower bound and half-life decay."""

from __future__ import annotations

import math
from datetime import datetime

from ..patterns import Effectiveness

__all__ = ["apply_feedback", "decay_factor", "effectiveness_score", "wilson_lower_bound"]


def wilson_lower_bound(successes: float, total: float, z: float = 1.96) -> float:
    """Lower bound of the Wilson score interval for a success rate, in [0, 1].

    0 for no evidence; grows towards the observed rate as evidence accumulates
    (unlike ``rate × √n``, it never exceeds 1).
    """
    if total <= 0:
        return 0.0
    p = min(1.0, max(0.0, successes / total))
    z2 = z * z
    centre = p + z2 / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    return max(0.0, min(1.0, (centre - margin) / (1 + z2 / total)))


def decay_factor(since: datetime | None, now: datetime, half_life_days: float) -> float:
    """0.5 ** (age / half-life); 1.0 when there is no previous timestamp."""
    if since is None:
        return 1.0
    age_days = max(0.0, (now - since).total_seconds() / 86_400.0)
    return float(0.5 ** (age_days / half_life_days))


def apply_feedback(
    effectiveness: Effectiveness, *, helped: bool, now: datetime, half_life_days: float
) -> Effectiveness:
    """Record that a pattern was applied and helped (or hindered)."""
    factor = decay_factor(effectiveness.last_used_at, now, half_life_days)
    return Effectiveness(
        times_retrieved=effectiveness.times_retrieved,
        times_applied=effectiveness.times_applied + 1,
        times_helped=effectiveness.times_helped + int(helped),
        times_hindered=effectiveness.times_hindered + int(not helped),
        helped_weight=effectiveness.helped_weight * factor + float(helped),
        hindered_weight=effectiveness.hindered_weight * factor + float(not helped),
        last_used_at=now,
    )


def effectiveness_score(
    effectiveness: Effectiveness, now: datetime, half_life_days: float
) -> float:
    """Decayed share of helpful feedback with a neutral prior: 0.5 with no feedback."""
    factor = decay_factor(effectiveness.last_used_at, now, half_life_days)
    helped = effectiveness.helped_weight * factor
    hindered = effectiveness.hindered_weight * factor
    return (helped + 1.0) / (helped + hindered + 2.0)
