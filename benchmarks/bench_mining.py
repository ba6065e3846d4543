"""Sequence mining: our PrefixSpan against the PyPI ``prefixspan`` package, and n-grams at scale.

Run with ``pytest benchmarks/bench_mining.py -o python_files='bench_*.py' --benchmark-only``.
Gapped patterns: 100k tool sequences (mean length 17.5, 100 tools) at 1 %
support. The PyPI package needs about 40 s there, so it runs only with
``BENCH_PREFIXSPAN=1`` (once, and its pattern set is checked against ours);
``benchmarks/compare_mining.py`` always runs it. Contiguous 2- to 5-grams:
1M sequences (mean length 10, 200 tools) at 0.1 % support.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from memory_core import _kernels, mining
from memory_core._kernels import COMPILED
from memory_test_utils.workloads import generate_tool_sequences

GROUP = "mining"
GAPPED_SEQUENCES = 100_000
GAPPED_SUPPORT = 1_000
NGRAM_SEQUENCES = 1_000_000
NGRAM_SUPPORT = 1_000

Patterns = set[tuple[tuple[int, ...], int]]


@dataclass(frozen=True)
class Database:
    sequences: list[list[int]]
    tokens: npt.NDArray[np.int32]
    offsets: npt.NDArray[np.int64]


def database(sequences: list[list[int]]) -> Database:
    """The sequences with their integer arrays (ids are already dense ints)."""
    offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
    np.cumsum([len(seq) for seq in sequences], out=offsets[1:])
    tokens = np.fromiter(
        itertools.chain.from_iterable(sequences), dtype=np.int32, count=int(offsets[-1])
    )
    return Database(sequences, tokens, offsets)


@pytest.fixture(scope="module")
def gapped() -> Database:
    return database(generate_tool_sequences(GAPPED_SEQUENCES, seed=17, alphabet=100))


@pytest.fixture(scope="module")
def ngrams() -> Database:
    sequences = generate_tool_sequences(NGRAM_SEQUENCES, seed=18, alphabet=200, mean_length=10)
    return database(sequences)


def our_patterns(db: Database) -> Patterns:
    found = _kernels.prefixspan(db.tokens, db.offsets, min_support=GAPPED_SUPPORT)
    items, bounds = found.items.tolist(), found.offsets.tolist()
    return {
        (tuple(items[bounds[i] : bounds[i + 1]]), support)
        for i, support in enumerate(found.support.tolist())
    }


@pytest.mark.benchmark(group=GROUP)
def test_ours_prefixspan_100k(benchmark: Any, gapped: Database) -> None:
    assert COMPILED, "benchmarking the pure Python fallback as 'ours'"
    found = benchmark(
        _kernels.prefixspan, gapped.tokens, gapped.offsets, min_support=GAPPED_SUPPORT
    )
    assert found.support.size > 1000
    assert int(found.support.min()) >= GAPPED_SUPPORT


@pytest.mark.benchmark(group=GROUP)
def test_ours_frequent_sequences_100k_with_encoding(benchmark: Any, gapped: Database) -> None:
    found = benchmark(mining.frequent_sequences, gapped.sequences, min_support=GAPPED_SUPPORT)
    assert len(found) == len(our_patterns(gapped))


@pytest.mark.benchmark(group=GROUP)
@pytest.mark.skipif(
    os.environ.get("BENCH_PREFIXSPAN") != "1", reason="about 40 s; set BENCH_PREFIXSPAN=1"
)
def test_pypi_prefixspan_100k(benchmark: Any, gapped: Database) -> None:
    prefixspan = pytest.importorskip("prefixspan")
    found = benchmark.pedantic(
        lambda: prefixspan.PrefixSpan(gapped.sequences).frequent(GAPPED_SUPPORT),
        rounds=1,
        iterations=1,
    )
    assert {(tuple(pattern), support) for support, pattern in found} == our_patterns(gapped)


@pytest.mark.benchmark(group=GROUP)
def test_ours_ngrams_2_to_5_1m(benchmark: Any, ngrams: Database) -> None:
    assert COMPILED, "benchmarking the pure Python fallback as 'ours'"
    found = benchmark(
        _kernels.mine_ngrams,
        ngrams.tokens,
        ngrams.offsets,
        min_n=2,
        max_n=5,
        min_support=NGRAM_SUPPORT,
    )
    assert found.support.size > 0
    assert int(found.support.min()) >= NGRAM_SUPPORT


@pytest.mark.benchmark(group=GROUP)
def test_ours_ngrams_2_to_5_1m_with_statistics(benchmark: Any, ngrams: Database) -> None:
    rng = np.random.default_rng(19)
    success = rng.random(ngrams.offsets.size - 1) < 0.7
    latency = rng.gamma(2.0, 400.0, size=ngrams.tokens.size)
    found = benchmark(
        _kernels.mine_ngrams,
        ngrams.tokens,
        ngrams.offsets,
        min_n=2,
        max_n=5,
        min_support=NGRAM_SUPPORT,
        success=success,
        weights=latency,
    )
    assert bool((found.successes <= found.support).all())
