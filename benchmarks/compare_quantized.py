"""Print markdown tables: int8 quantized top-k against exact fp32 search (ours, numpy, faiss).

Usage: ``python benchmarks/compare_quantized.py [--rows 100000] [--large-rows 1000000]``.

Everything is measured in one run on the same unit-length float32 rows, for a
seeded random set and a clustered one (tight clusters make many near-equal
scores, the hard case for an int8 ranking). Each contender answers the same
queries, cycling through them between repeats, and the contenders take turns
within each round of timing (the machine may be shared); recall@k is the share of the
exact top-k (ours, float32) that a contender returns, averaged over the
queries. faiss runs on one thread (``faiss.omp_set_num_threads(1)``), like
ours. The last table repeats the int8 search on ``--large-rows`` rows
(``0`` skips it): its float32 rows alone take ``4 * rows * dim`` bytes of RAM
(1.5 GB at 1,000,000 × 384), and the int8 codes a quarter of that.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
from _timing import median_seconds

from memory_core import similarity
from memory_core._kernels import COMPILED

Floats = npt.NDArray[np.float32]
Indices = npt.NDArray[np.int64]
Search = Callable[[Floats], Indices]
"""A contender: queries ``(q, d)`` in, row indices ``(q, k)`` out."""


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` in milliseconds, after one warm-up call."""
    return median_seconds(fn, repeats) * 1e3


def interleaved_ms(
    calls: dict[str, Callable[[], object]], repeats: int
) -> dict[str, tuple[float, float]]:
    """``(median, best)`` milliseconds of each call, timing them in turn within every round.

    On a shared machine the load changes from second to second; taking turns
    spreads it evenly over the contenders instead of onto whichever ran then,
    and the best time shows what each reaches when nothing interferes.
    """
    times: dict[str, list[float]] = {label: [] for label in calls}
    for fn in calls.values():
        fn()  # warm-up
    for _ in range(repeats):
        for label, fn in calls.items():
            start = time.perf_counter()
            fn()
            times[label].append((time.perf_counter() - start) * 1e3)
    return {label: (statistics.median(v), min(v)) for label, v in times.items()}


def random_unit_rows(rng: np.random.Generator, n: int, d: int) -> Floats:
    """Seeded Gaussian rows scaled to unit length, built in chunks to bound peak memory."""
    out = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        out[start:stop] = similarity.normalize_rows(
            rng.standard_normal((stop - start, d), dtype=np.float32)
        )
    return out


def clustered_unit_rows(rng: np.random.Generator, n: int, d: int, clusters: int = 200) -> Floats:
    """Unit rows around ``clusters`` random centres, spread 0.25 (as a vector norm)."""
    centers = random_unit_rows(rng, clusters, d)
    labels = rng.integers(0, clusters, n)
    noise = rng.standard_normal((n, d), dtype=np.float32) * np.float32(0.25 / np.sqrt(d))
    return similarity.normalize_rows(centers[labels] + noise)


def queries_near(rng: np.random.Generator, rows: Floats, count: int) -> Floats:
    """Queries close to stored rows, so their neighbours are the rows' crowded surroundings."""
    picks = rows[rng.integers(0, len(rows), count)]
    noise = rng.standard_normal(picks.shape, dtype=np.float32) * np.float32(0.1 / np.sqrt(2))
    return similarity.normalize_rows(picks + noise / np.float32(np.sqrt(rows.shape[1])))


def numpy_topk(rows: Floats, queries: Floats, k: int) -> Indices:
    """The usual numpy idiom: one matmul, argpartition, then sort the k winners."""
    scores = queries @ rows.T
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1).astype(np.int64)


def contenders(rows: Floats, k: int) -> dict[str, Search]:
    """Every contender over ``rows``, faiss first when it is installed."""
    quantized = similarity.quantize_rows(rows)
    codes, scales = quantized
    searches: dict[str, Search] = {}
    try:
        import faiss
    except ImportError:
        print("faiss is not installed: no faiss row (pip install faiss-cpu)")
    else:
        faiss.omp_set_num_threads(1)
        index: Any = faiss.IndexFlatIP(rows.shape[1])
        index.add(rows)
        searches["faiss IndexFlatIP fp32, 1 thread"] = lambda q: index.search(q, k)[1]
    searches["numpy matmul + argpartition fp32"] = lambda q: numpy_topk(rows, q, k)
    searches["ours, exact fp32 `topk_cosine(assume_normalized=True)`"] = lambda q: (
        similarity.topk_cosine(rows, q, k, assume_normalized=True)[0]
    )
    searches["ours, int8 scan `topk_int8`"] = lambda q: similarity.topk_int8(codes, scales, q, k)[0]
    shortlist = similarity.default_shortlist(k)
    searches[f"ours, `search_quantized` (int8 top-{shortlist} + fp32 re-rank)"] = lambda q: (
        similarity.search_quantized(rows, quantized, q, k)[0]
    )
    return searches


def recall(got: Indices, want: Indices) -> float:
    """Mean share of each query's exact top-k found in its result."""
    hits = [len(set(g) & set(w)) for g, w in zip(got.tolist(), want.tolist(), strict=True)]
    return sum(hits) / want.size


def one_at_a_time(search: Search, queries: Floats) -> Callable[[], object]:
    """A call answering the next single query of ``queries`` each time."""
    cycle = itertools.cycle(range(len(queries)))
    return lambda: search(queries[next(cycle)][None, :])


def dataset_tables(
    name: str, rows: Floats, queries: Floats, k: int, batch: int, repeats: int
) -> None:
    """Print the single-query and batch tables for one data set."""
    exact, _ = similarity.topk_cosine(rows, queries, k, assume_normalized=True)
    searches = contenders(rows, k)
    single_calls = {label: one_at_a_time(search, queries) for label, search in searches.items()}
    for isa in isas():
        label = f"ours, int8 scan, `{isa}` build"
        single_calls[label] = one_at_a_time(isa_scan(rows, k, isa), queries)
    singles = interleaved_ms(single_calls, repeats)
    batches = interleaved_ms(
        {label: partial(search, queries[:batch]) for label, search in searches.items()},
        max(3, repeats // 5),
    )
    recalls = {label: recall(s(queries), exact) for label, s in searches.items()}
    faiss_single = next((t for label, t in singles.items() if label.startswith("faiss")), None)
    faiss_batch = next((t for label, t in batches.items() if label.startswith("faiss")), None)

    print(f"### {name}: {rows.shape[0]:,} × {rows.shape[1]}, top-{k}, {len(queries)} queries")
    print()
    print(f"| single query | median ms | speed-up vs faiss | best ms | speed-up | recall@{k} |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, (median, best) in singles.items():
        found = f"{recalls[label]:.3f}" if label in recalls else ""
        print(
            f"| {label} | {median:.2f} | {speedup(faiss_single, median, 0)} "
            f"| {best:.2f} | {speedup(faiss_single, best, 1)} | {found} |"
        )
    print()
    print(f"| batch of {batch} queries | median ms | ms per query | speed-up vs faiss | best ms |")
    print("|---|---:|---:|---:|---:|")
    for label, (median, best) in batches.items():
        print(
            f"| {label} | {median:.1f} | {median / batch:.2f} "
            f"| {speedup(faiss_batch, median, 0)} | {best:.1f} |"
        )
    print()


def speedup(reference: tuple[float, float] | None, ms: float, which: int) -> str:
    """``reference[which] / ms`` as "3.1×"; empty without a reference (no faiss)."""
    return "" if reference is None else f"{reference[which] / ms:.1f}×"


def isas() -> tuple[str, ...]:
    """The compiled kernel's builds this CPU runs, other than the one in use (slowest first)."""
    if not COMPILED:
        return ()
    from memory_core._kernels import _quantized

    return tuple(isa for isa in _quantized._isas() if isa != _quantized._isa())


def isa_scan(rows: Floats, k: int, isa: str) -> Search:
    """The int8 scan forced onto build ``isa``."""
    from memory_core._kernels import _quantized

    codes, scales = similarity.quantize_rows(rows)

    def search(queries: Floats) -> Indices:
        previous = _quantized._use_isa(isa)
        try:
            return _quantized.topk_int8(codes, scales, queries, k)[0]
        finally:
            _quantized._use_isa(previous)

    return search


def large_table(n: int, d: int, k: int, repeats: int) -> None:
    """int8 search on ``n`` random unit rows: build time, per-query median and p95, recall."""
    rng = np.random.default_rng(20240603)
    rows = random_unit_rows(rng, n, d)
    queries = random_unit_rows(rng, max(repeats, 20), d)
    quantize_ms = median_ms(lambda: similarity.quantize_rows(rows), 3)
    quantized = similarity.quantize_rows(rows)
    codes, scales = quantized
    exact, _ = similarity.topk_cosine(rows, queries[:20], k, assume_normalized=True)
    scan, _ = similarity.topk_int8(codes, scales, queries[:20], k)
    found, _ = similarity.search_quantized(rows, quantized, queries[:20], k)
    timings: dict[str, Callable[[Floats], object]] = {
        "ours, exact fp32 `topk_cosine`": lambda q: similarity.topk_cosine(
            rows, q, k, assume_normalized=True
        ),
        "ours, int8 scan `topk_int8`": lambda q: similarity.topk_int8(codes, scales, q, k),
        "ours, `search_quantized`": lambda q: similarity.search_quantized(rows, quantized, q, k),
    }
    recalls = {
        "ours, exact fp32 `topk_cosine`": 1.0,
        "ours, int8 scan `topk_int8`": recall(scan, exact),
        "ours, `search_quantized`": recall(found, exact),
    }
    print(f"### random: {n:,} × {d}, top-{k}, single queries")
    print()
    print(
        f"RAM: float32 rows {rows.nbytes / 1e6:,.0f} MB, int8 codes {codes.nbytes / 1e6:,.0f} MB "
        f"+ scales {scales.nbytes / 1e6:.0f} MB; `quantize_rows` takes {quantize_ms:,.0f} ms."
    )
    print()
    print(f"| single query | median ms | p95 ms | recall@{k} |")
    print("|---|---:|---:|---:|")
    for label, fn in timings.items():
        fn(queries[-1])  # warm-up
        times = []
        for i in range(repeats):
            start = time.perf_counter()
            fn(queries[i % len(queries)])
            times.append((time.perf_counter() - start) * 1e3)
        median, p95 = np.percentile(times, [50, 95])
        print(f"| {label} | {median:.1f} | {p95:.1f} | {recalls[label]:.3f} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--large-rows", type=int, default=1_000_000)
    args = parser.parse_args()

    print(f"compiled kernel in use: {COMPILED}; cores: {os.cpu_count()}; ours is single-threaded")
    if COMPILED:
        from memory_core._kernels import _quantized

        print(f"int8 build in use: {_quantized._isa()} (this CPU runs {_quantized._isas()})")
    print()
    rng = np.random.default_rng(20240601)
    rows = random_unit_rows(rng, args.rows, args.dim)
    queries = random_unit_rows(rng, args.queries, args.dim)
    dataset_tables("random", rows, queries, args.k, args.batch, args.repeats)
    del rows
    rng = np.random.default_rng(20240602)
    rows = clustered_unit_rows(rng, args.rows, args.dim)
    queries = queries_near(rng, rows, args.queries)
    dataset_tables("clustered", rows, queries, args.k, args.batch, args.repeats)
    del rows
    if args.large_rows:
        large_table(args.large_rows, args.dim, args.k, args.repeats)


if __name__ == "__main__":
    main()
