"""Print a markdown table: our sequence mining against the PyPI ``prefixspan`` package.

Usage: ``python benchmarks/compare_mining.py [--sequences 100000] [--skip-pypi]``.

Gapped patterns: tool sequences from ``memory_test_utils.workloads`` (mean
length 17.5, 100 tools, a few planted frequent runs) at 1 % support. Ours runs
several times (median reported); the PyPI package runs once, since it takes
tens of seconds, and its pattern set and supports must equal ours. Contiguous
2- to 5-grams: 1M sequences (mean length 10, 200 tools) at 0.1 % support.
Every contender runs on one core.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

import numpy as np
import numpy.typing as npt
from _timing import median_seconds

from memory_core import _kernels, mining
from memory_core._kernels import COMPILED
from memory_test_utils.workloads import generate_tool_sequences

Patterns = set[tuple[tuple[int, ...], int]]


def as_arrays(sequences: list[list[int]]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
    np.cumsum([len(seq) for seq in sequences], out=offsets[1:])
    tokens = np.fromiter(
        itertools.chain.from_iterable(sequences), dtype=np.int32, count=int(offsets[-1])
    )
    return tokens, offsets


def pattern_set(found: _kernels._mining_py.PatternArrays) -> Patterns:
    items, bounds = found.items.tolist(), found.offsets.tolist()
    return {
        (tuple(items[bounds[i] : bounds[i + 1]]), support)
        for i, support in enumerate(found.support.tolist())
    }


def pypi_prefixspan(sequences: list[list[int]], min_support: int) -> tuple[float, Patterns] | None:
    """One timed run of the PyPI package, or None when it is not installed."""
    try:
        from prefixspan import PrefixSpan
    except ImportError:
        return None
    start = time.perf_counter()
    found = PrefixSpan(sequences).frequent(min_support)
    seconds = time.perf_counter() - start
    return seconds, {(tuple(pattern), support) for support, pattern in found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=100_000)
    parser.add_argument("--support", type=float, default=0.01)
    parser.add_argument("--ngram-sequences", type=int, default=1_000_000)
    parser.add_argument("--ngram-support", type=float, default=0.001)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-pypi", action="store_true")
    args = parser.parse_args()

    sequences = generate_tool_sequences(args.sequences, seed=17, alphabet=100)
    tokens, offsets = as_arrays(sequences)
    min_support = max(1, round(args.support * args.sequences))

    def ours() -> object:
        return _kernels.prefixspan(tokens, offsets, min_support=min_support)

    def ours_public() -> object:
        return mining.frequent_sequences(sequences, min_support=min_support)

    found = _kernels.prefixspan(tokens, offsets, min_support=min_support)
    ours_s = median_seconds(ours, args.repeats)
    public_s = median_seconds(ours_public, max(3, args.repeats // 2))
    pypi = None if args.skip_pypi else pypi_prefixspan(sequences, min_support)

    ngram_sequences = generate_tool_sequences(
        args.ngram_sequences, seed=18, alphabet=200, mean_length=10
    )
    ngram_tokens, ngram_offsets = as_arrays(ngram_sequences)
    del ngram_sequences
    ngram_support = max(1, round(args.ngram_support * args.ngram_sequences))

    def ngrams() -> object:
        return _kernels.mine_ngrams(
            ngram_tokens, ngram_offsets, min_n=2, max_n=5, min_support=ngram_support
        )

    grams = _kernels.mine_ngrams(
        ngram_tokens, ngram_offsets, min_n=2, max_n=5, min_support=ngram_support
    )
    ngram_s = median_seconds(ngrams, args.repeats)

    print(
        f"gapped: {args.sequences} sequences, {tokens.size} items, alphabet 100, "
        f"min support {min_support} ({args.support:.1%}); {found.support.size} patterns"
    )
    print(f"compiled kernels in use: {COMPILED}; cores: {os.cpu_count()}; all single-threaded")
    print()
    print("| gapped subsequences (PrefixSpan) | seconds | speed-up vs PyPI |")
    print("|---|---:|---:|")
    pypi_s = pypi[0] if pypi is not None else None
    for name, seconds in (
        ("ours, kernel on int arrays (median)", ours_s),
        ("ours, `frequent_sequences` incl. encoding (median)", public_s),
    ):
        speed_up = f"{pypi_s / seconds:.0f}x" if pypi_s is not None else "n/a"
        print(f"| {name} | {seconds:.3f} | {speed_up} |")
    if pypi is None:
        reason = "skipped" if args.skip_pypi else "not installed"
        print(f"| PyPI `prefixspan` `PrefixSpan(db).frequent(minsup)` | {reason} | |")
    else:
        same = pypi[1] == pattern_set(found)
        name = "PyPI `prefixspan` `PrefixSpan(db).frequent(minsup)` (one run)"
        print(f"| {name} | {pypi[0]:.1f} | 1x |")
        print()
        print(f"- pattern sets and supports equal: {same}")
        if not same:
            raise SystemExit("pattern sets differ")
    print()
    print(
        f"| contiguous 2-5-grams, {args.ngram_sequences} sequences, {ngram_tokens.size} items, "
        f"min support {ngram_support} | seconds | patterns |"
    )
    print("|---|---:|---:|")
    print(f"| ours, kernel on int arrays (median) | {ngram_s:.3f} | {grams.support.size} |")


if __name__ == "__main__":
    main()
