"""Print a markdown table: exact cosine top-k, ours against numpy and faiss.

Usage: ``python benchmarks/compare_similarity.py [--rows 100000] [--dim 384]``.

Besides each contender's median time, the script measures how fast one core
can read memory and derives the floor for a single query: the bytes of the
float32 matrix divided by that bandwidth. No single-threaded exact scan can
beat the floor; numpy (BLAS) and faiss may use every core. BLAS and faiss's
OpenMP threads compete on small machines: run once more with
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`` for a one-core comparison.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
from _timing import median_seconds

from memory_core import similarity
from memory_core._kernels import COMPILED
from memory_core._kernels import _similarity_py as reference

Floats = npt.NDArray[np.float32]


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` in milliseconds, after one warm-up call."""
    return median_seconds(fn, repeats) * 1e3


def read_bandwidth(gib: float, repeats: int) -> dict[str, float]:
    """Bytes per second that single-threaded numpy reductions read from memory.

    Best of ``repeats`` rather than the median: this estimates what the memory
    system can deliver, and anything slower is interference.
    """
    data = np.ones(int(gib * 2**30) // 4, dtype=np.float32)
    kernels: dict[str, Callable[[], object]] = {
        "np.add.reduce": lambda: np.add.reduce(data),
        "np.maximum.reduce": lambda: np.maximum.reduce(data),
    }
    rates = {}
    for name, fn in kernels.items():
        fn()
        best = min(_seconds(fn) for _ in range(repeats))
        rates[name] = data.nbytes / best
    return rates


def _seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def numpy_topk(unit_rows: Floats, unit_queries: Floats, k: int) -> npt.NDArray[np.intp]:
    scores = np.atleast_2d(unit_queries) @ unit_rows.T
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


Calls = dict[str, Callable[[], object]]


def ours_and_numpy(
    rows: Floats, unit_rows: Floats, queries: Floats, unit_queries: Floats, k: int
) -> tuple[Calls, Calls]:
    """Single-query and batch contenders, each a zero-argument call."""
    single, unit_single = queries[0], unit_queries[0]
    singles: Calls = {
        "ours, cosine": lambda: similarity.topk_cosine(rows, single, k),
        "ours, normalized": lambda: similarity.topk_cosine(
            unit_rows, unit_single, k, assume_normalized=True
        ),
        "our numpy reference, cosine": lambda: reference.topk_cosine(rows, single, k),
        "numpy matmul + argpartition, normalized": lambda: numpy_topk(unit_rows, unit_single, k),
    }
    batches: Calls = {
        "ours, normalized": lambda: similarity.topk_cosine(
            unit_rows, unit_queries, k, assume_normalized=True
        ),
        "numpy matmul + argpartition, normalized": lambda: numpy_topk(unit_rows, unit_queries, k),
    }
    return singles, batches


def faiss_flat(unit_rows: Floats, unit_queries: Floats, k: int) -> tuple[Calls, Calls]:
    """faiss contenders at its default thread count and at one thread; empty without faiss."""
    try:
        import faiss
    except ImportError:
        return {}, {}
    index: Any = faiss.IndexFlatIP(unit_rows.shape[1])
    index.add(unit_rows)
    default_threads = faiss.omp_get_max_threads()

    def search(queries: Floats, threads: int) -> object:
        faiss.omp_set_num_threads(threads)
        try:
            return index.search(queries, k)
        finally:
            faiss.omp_set_num_threads(default_threads)

    singles: Calls = {}
    batches: Calls = {}
    for threads in sorted({default_threads, 1}, reverse=True):
        name = f"faiss IndexFlatIP, normalized, {threads} thread(s)"
        singles[name] = partial(search, unit_queries[:1], threads)
        batches[name] = partial(search, unit_queries, threads)
    return singles, batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--bandwidth-gib", type=float, default=1.0)
    args = parser.parse_args()

    rng = np.random.default_rng(20240601)
    rows = rng.standard_normal((args.rows, args.dim), dtype=np.float32)
    queries = rng.standard_normal((args.batch, args.dim), dtype=np.float32)
    unit_rows = similarity.normalize_rows(rows)
    unit_queries = similarity.normalize_rows(queries)

    single_ms: dict[str, float] = {}
    batch_ms: dict[str, float] = {}
    bandwidths = read_bandwidth(args.bandwidth_gib, repeats=10)
    for make in (
        partial(ours_and_numpy, rows, unit_rows, queries, unit_queries, args.k),
        partial(faiss_flat, unit_rows, unit_queries, args.k),
    ):
        singles, batches = make()
        single_ms.update((name, median_ms(fn, args.repeats)) for name, fn in singles.items())
        batch_repeats = max(3, args.repeats // 5)
        batch_ms.update((name, median_ms(fn, batch_repeats)) for name, fn in batches.items())
    best_name, best = max(bandwidths.items(), key=lambda item: item[1])
    floor_ms = rows.nbytes / best * 1e3

    print(f"exact top-{args.k}, {args.rows} x {args.dim} float32 ({rows.nbytes / 1e6:.1f} MB)")
    print(f"compiled kernel in use: {COMPILED}; cores: {os.cpu_count()}; ours is single-threaded")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE"):
        print(f"{var}={os.environ.get(var, '(unset)')}")
    print()
    print("| single query | median ms | x floor |")
    print("|---|---:|---:|")
    for name, ms in single_ms.items():
        print(f"| {name} | {ms:.2f} | {ms / floor_ms:.2f} |")
    print(f"| fp32 floor: matrix bytes / read bandwidth | {floor_ms:.2f} | 1.00 |")
    print()
    print(f"| batch of {args.batch} queries | median ms | ms per query |")
    print("|---|---:|---:|")
    for name, ms in batch_ms.items():
        print(f"| {name} | {ms:.2f} | {ms / args.batch:.2f} |")
    print()
    for name, rate in bandwidths.items():
        used = " (used for the floor)" if name == best_name else ""
        gib = f"{args.bandwidth_gib:g} GiB"
        print(f"- single-thread read bandwidth, {name} over {gib}: {rate / 1e9:.1f} GB/s{used}")


if __name__ == "__main__":
    main()
