"""Learning building blocks: Wilson bound, decay, decision detection, n-grams."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memory_core.learning import (
    apply_feedback,
    effectiveness_score,
    is_decision,
    wilson_lower_bound,
)
from memory_core.learning.aggregate import ngrams
from memory_core.patterns import Effectiveness


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_wilson_is_a_probability_below_the_rate(successes: int, extra: int) -> None:
    total = successes + extra
    bound = wilson_lower_bound(successes, total)
    assert 0.0 <= bound <= 1.0
    if total:
        assert bound <= successes / total + 1e-12


def test_wilson_known_values() -> None:
    assert wilson_lower_bound(0, 0) == 0.0
    assert wilson_lower_bound(10, 10) == pytest.approx(0.7225, abs=1e-4)
    assert wilson_lower_bound(1, 1) == pytest.approx(0.2065, abs=1e-4)
    # More evidence at the same rate means more confidence.
    assert wilson_lower_bound(90, 100) > wilson_lower_bound(9, 10)


def test_feedback_decays_with_half_life() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    eff = apply_feedback(Effectiveness(), helped=True, now=start, half_life_days=10)
    assert effectiveness_score(eff, start, 10) == pytest.approx(2 / 3)
    later = start + timedelta(days=10)
    assert effectiveness_score(eff, later, 10) == pytest.approx(1.5 / 2.5)
    eff = apply_feedback(eff, helped=False, now=later, half_life_days=10)
    assert eff.helped_weight == pytest.approx(0.5)
    assert eff.hindered_weight == pytest.approx(1.0)
    assert (eff.times_applied, eff.times_helped, eff.times_hindered) == (2, 1, 1)
    assert effectiveness_score(Effectiveness(), later, 10) == 0.5


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("check if tests pass", True),
        ("Verify schema", True),
        ("decide whether to retry", True),
        ("this is a refactor", False),
        ("checkout branch", False),
        ("rechecked nothing", False),
        ("run the tests", False),
    ],
)
def test_decisions_match_on_word_boundaries(action: str, expected: bool) -> None:
    assert is_decision(action) is expected


def test_ngrams_are_distinct_with_first_positions() -> None:
    grams = ngrams(("a", "b", "a", "b", "c"), 2, 3)
    assert grams == {
        ("a", "b"): 0,
        ("b", "a"): 1,
        ("b", "c"): 3,
        ("a", "b", "a"): 0,
        ("b", "a", "b"): 1,
        ("a", "b", "c"): 2,
    }


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.sampled_from([1, 1, 1, -1]))))
def test_running_mode_matches_a_full_scan(ops: list[tuple[str, int]]) -> None:
    from collections import Counter

    from memory_core.learning.aggregate import RunningMode

    mode = RunningMode()
    reference: Counter[str] = Counter()
    for key, sign in ops:
        if sign < 0 and reference[key] <= 0:
            continue  # only remove what was added, as forgetting episodes does
        mode.add(key, sign)
        reference[key] += sign
        live = {k: n for k, n in reference.items() if n > 0}
        expected = min(live.items(), key=lambda kv: (-kv[1], kv[0]))[0] if live else None
        assert mode.mode() == expected
