"""Integer sequences for mining benchmarks."""

from __future__ import annotations

from collections import Counter

import pytest

from memory_test_utils.workloads import generate_tool_sequences


def test_shape_and_determinism() -> None:
    sequences = generate_tool_sequences(20_000, seed=1)
    assert len(sequences) == 20_000
    assert all(isinstance(s, list) and s for s in sequences)
    assert all(type(x) is int and 0 <= x < 100 for s in sequences[:500] for x in s)
    mean = sum(map(len, sequences)) / len(sequences)
    assert abs(mean - 17.5) < 0.3
    assert sequences == generate_tool_sequences(20_000, seed=1)
    assert sequences != generate_tool_sequences(20_000, seed=2)


def test_parameters() -> None:
    assert generate_tool_sequences(0) == []
    small = generate_tool_sequences(500, alphabet=5, mean_length=3, planted=0)
    assert {x for s in small for x in s} <= set(range(5))
    with pytest.raises(ValueError, match="alphabet"):
        generate_tool_sequences(1, alphabet=0)
    with pytest.raises(ValueError, match="mean_length"):
        generate_tool_sequences(1, mean_length=0.5)
    with pytest.raises(ValueError, match="planted_support"):
        generate_tool_sequences(1, planted_support=(0.5, 0.1))


def top_trigram_support(sequences: list[list[int]]) -> int:
    support: Counter[tuple[int, ...]] = Counter()
    for sequence in sequences:
        support.update({tuple(sequence[i : i + 3]) for i in range(len(sequence) - 2)})
    return support.most_common(1)[0][1]


def test_planted_patterns_are_frequent() -> None:
    plain = top_trigram_support(generate_tool_sequences(5000, seed=3, planted=0))
    planted = top_trigram_support(generate_tool_sequences(5000, seed=3))
    assert plain < 5000 * 0.005
    assert planted >= 5000 * 0.015
