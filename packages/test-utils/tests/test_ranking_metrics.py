"""Ranking metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from memory_test_utils.ranking_metrics import (
    ndcg_at_k,
    percentiles,
    recall_at_k,
    reciprocal_rank,
)

RANKING = ["a", "b", "c", "d", "e"]


def test_recall_counts_relevant_found_in_the_first_k() -> None:
    relevant = {"b": 1, "d": 2, "z": 1}
    assert recall_at_k(RANKING, relevant, 1) == 0.0
    assert recall_at_k(RANKING, relevant, 2) == pytest.approx(1 / 3)
    assert recall_at_k(RANKING, relevant, 5) == pytest.approx(2 / 3)
    assert recall_at_k(RANKING, relevant, 50) == pytest.approx(2 / 3)


def test_recall_edge_cases() -> None:
    assert recall_at_k(RANKING, {}, 5) == 0.0
    assert recall_at_k(RANKING, {"a": 0, "b": 0}, 5) == 0.0  # grade 0 is not relevant
    assert recall_at_k([], {"a": 1}, 5) == 0.0
    assert recall_at_k(RANKING, dict.fromkeys(RANKING, 1), 5) == 1.0
    assert recall_at_k(RANKING, dict.fromkeys(RANKING, 1), 2) == pytest.approx(2 / 5)


def test_reciprocal_rank_of_first_relevant() -> None:
    assert reciprocal_rank(RANKING, {"a": 1}) == 1.0
    assert reciprocal_rank(RANKING, {"c": 1, "e": 2}) == pytest.approx(1 / 3)
    assert reciprocal_rank(RANKING, {"z": 1}) == 0.0
    assert reciprocal_rank(RANKING, {}) == 0.0
    assert reciprocal_rank(RANKING, {"a": 0, "b": 1}) == 0.5


def test_ndcg_binary_by_hand() -> None:
    # Relevant at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3).
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(RANKING, {"b": 1, "d": 1}, 5) == pytest.approx(expected)


def test_ndcg_graded_by_hand() -> None:
    relevant = {"a": 1, "c": 2, "x": 2}
    # DCG@3 = 1/log2(2) + 2/log2(4) = 1 + 1 = 2; ideal grades 2, 2, 1.
    ideal = 2 + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(RANKING, relevant, 3) == pytest.approx(2 / ideal)
    # Only the first rank counts at k=1: gain 1 against an ideal gain of 2.
    assert ndcg_at_k(RANKING, relevant, 1) == pytest.approx(0.5)


def test_ndcg_edge_cases() -> None:
    assert ndcg_at_k(RANKING, {}, 10) == 0.0
    assert ndcg_at_k(RANKING, {"z": 2}, 10) == 0.0
    assert ndcg_at_k(RANKING, dict.fromkeys(RANKING, 1), 5) == pytest.approx(1.0)
    perfect = ["x", "y", "z"]
    assert ndcg_at_k(perfect, {"x": 2, "y": 2, "z": 1}, 3) == pytest.approx(1.0)
    assert ndcg_at_k(["z", "y", "x"], {"x": 2, "y": 2, "z": 1}, 3) < 1.0
    # A document listed twice earns its gain once.
    assert ndcg_at_k(["x", "x"], {"x": 1, "y": 1}, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))


@pytest.mark.parametrize("metric", [recall_at_k, ndcg_at_k])
@pytest.mark.parametrize("k", [0, -1])
def test_k_must_be_positive(metric: object, k: int) -> None:
    with pytest.raises(ValueError, match="k must be a positive int"):
        metric(RANKING, {"a": 1}, k)  # type: ignore[operator]


def test_percentiles_by_hand_and_against_numpy() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    result = percentiles(values, (0, 50, 100, 25))
    assert result == {0: 1.0, 50: 2.5, 100: 4.0, 25: 1.75}
    rng = np.random.default_rng(3)
    sample = rng.lognormal(size=1001).tolist()
    got = percentiles(sample)
    want = np.percentile(sample, [50, 95, 99])
    assert list(got) == [50.0, 95.0, 99.0]
    assert list(got.values()) == pytest.approx(want.tolist())
    assert percentiles([7.0]) == {50.0: 7.0, 95.0: 7.0, 99.0: 7.0}


def test_percentiles_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        percentiles([])
    with pytest.raises(ValueError, match=r"within \[0, 100\]"):
        percentiles([1.0], (101,))
