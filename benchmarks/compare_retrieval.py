"""End-to-end ``retrieve_relevant_context`` latency and memory at scale.

Usage::

    python benchmarks/compare_retrieval.py [--sizes 100000 1000000] [--queries 300]
        [--storage libsql|memory] [--backend trio|asyncio]

For each size the script imports that many generated episodes
(``generate_episodes(n, seed=1)``, streamed in batches through the public
``import_episodes``) into a fresh store, then times ``retrieve_relevant_context``
(all signals, breakdown included, 5 results, result cache off) for
``--queries`` held-out task descriptions and contexts (``seed=2``), once per
dense path in the same process over the same index: the path ``"auto"`` picks
for that size, and the exact fp32 scan as the baseline. It prints one markdown
row per (size, path) with p50/p95/p99 in milliseconds, plus the bytes the index
holds for vectors by representation and the process's resident memory.

The default storage is an embedded libSQL file in a temporary directory (the
product's default); ``memory`` keeps every episode in Python objects, which
needs several GB at a million episodes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio

from memory_core import MemoryConfig, SelfLearningMemory
from memory_core.storage import InMemoryStorage, StorageBackend
from memory_test_utils.workloads import generate_episodes

_BATCH = 5000


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _storage(kind: str, directory: Path) -> StorageBackend:
    if kind == "memory":
        return InMemoryStorage()
    from memory_storage_turso import TursoStorage

    return TursoStorage(str(directory / "bench.db"))


async def _run_size(size: int, queries: int, storage_kind: str) -> list[str]:
    rows: list[str] = []
    config = MemoryConfig(query_cache_size=0)
    with tempfile.TemporaryDirectory() as tmp:
        async with SelfLearningMemory(config, storage=_storage(storage_kind, Path(tmp))) as memory:
            started = time.perf_counter()
            batch = []
            done = 0
            for episode in generate_episodes(size, seed=1):
                batch.append(episode)
                if len(batch) == _BATCH:
                    done += await memory.import_episodes(batch, learn=False)
                    batch = []
                    print(f"\r{size}: imported {done}", end="", file=sys.stderr, flush=True)
            if batch:
                done += await memory.import_episodes(batch, learn=False)
            load_s = time.perf_counter() - started
            print(f"\r{size}: imported {done} in {load_s:.0f} s", file=sys.stderr)
            held_out = list(generate_episodes(queries, seed=2))
            retriever = memory._retriever  # benchmark-only: switch paths on one built index
            dense = retriever.index.dense
            auto_path = dense.chosen_path(len(retriever.index))
            for path in dict.fromkeys([auto_path, "exact"]):
                dense.path = path  # type: ignore[assignment]
                await memory.retrieve_relevant_context(  # warm-up (builds codes once)
                    held_out[0].task_description, held_out[0].context, 5
                )
                latencies = []
                for episode in held_out:
                    start = time.perf_counter()
                    hits = await memory.retrieve_relevant_context(
                        episode.task_description, episode.context, 5
                    )
                    latencies.append((time.perf_counter() - start) * 1000)
                    assert hits
                    assert hits[0].breakdown
                vectors = retriever.stats().vector_bytes
                raw = size * retriever.index.dim * 4
                rows.append(
                    f"| {size:,} | {path}{' (auto)' if path == auto_path else ''} "
                    f"| {statistics.median(latencies):.2f} | {_percentile(latencies, 0.95):.2f} "
                    f"| {_percentile(latencies, 0.99):.2f} "
                    f"| {', '.join(f'{k} {v / 2**20:.0f}' for k, v in vectors.items())} "
                    f"| {sum(vectors.values()) / raw:.2f} | {_rss_mb():.0f} | {load_s:.0f} |"
                )
                print(rows[-1], file=sys.stderr)
            dense.path = "auto"
    return rows


async def _main(args: argparse.Namespace) -> None:
    print(
        "| Episodes | Dense path | p50 ms | p95 ms | p99 ms | Vector MiB | ÷ fp32 bytes "
        "| RSS MiB | Import s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        for row in await _run_size(size, args.queries, args.storage):
            print(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--storage", choices=["libsql", "memory"], default="libsql")
    parser.add_argument("--backend", choices=["trio", "asyncio"], default="trio")
    args = parser.parse_args()
    anyio.run(_main, args, backend=args.backend)


if __name__ == "__main__":
    main()
