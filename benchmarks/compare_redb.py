"""Print a markdown table: our redb binding against py-lmdb, per operation, same keys and values.

Usage: ``python benchmarks/compare_redb.py [--keys 20000] [--value-size 256] [--repeats 5]
[--episodes 2000] [--skip-storage]``.

Keys are 16 random bytes (a UUID's size), values ``--value-size`` random bytes.
``get`` reads every key once inside one read transaction; ``insert`` writes
every key inside one write transaction (commit included, amortized);
``commit`` is one single-key write transaction with a durable commit (redb
``durability="immediate"``, LMDB ``sync=True``). Times are medians over
``--repeats`` runs, in microseconds per operation. Target: redb ``get`` ≤ 2×
LMDB's.

A second table compares ``get_episode`` through ``RedbCache`` with the same call
on ``TursoStorage`` (embedded libSQL file, the durable store), both holding the
same generated episodes, under one asyncio event loop: the median per call
over 1,000 random ids.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import lmdb

from memory_core.storage import StorageBackend
from memory_storage_redb import Database, RedbCache
from memory_storage_turso import TursoStorage
from memory_test_utils import generate_episodes


def median_us_per_op(fn: Callable[[], int], repeats: int) -> float:
    """Median microseconds per operation of ``fn`` (which returns its operation count)."""
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        ops = fn()
        samples.append((time.perf_counter() - start) / ops * 1e6)
    return statistics.median(samples)


def bench_redb(
    directory: Path, pairs: list[tuple[bytes, bytes]], repeats: int, commits: int
) -> dict[str, float]:
    keys = [key for key, _ in pairs]
    with Database(directory / "bench.redb") as db:

        def insert() -> int:
            with db.begin_write() as txn:
                table = txn.open_table("t")
                for key, value in pairs:
                    table.insert(key, value)
            return len(pairs)

        def get() -> int:
            with db.begin_read() as txn:
                table = txn.open_table("t")
                get_one = table.get
                for key in keys:
                    get_one(key)
            return len(keys)

        def commit() -> int:
            for key, value in pairs[:commits]:
                with db.begin_write() as txn:
                    txn.open_table("t").insert(key, value)
            return commits

        return {
            "insert": median_us_per_op(insert, repeats),
            "get": median_us_per_op(get, repeats),
            "commit": median_us_per_op(commit, repeats),
        }


def bench_lmdb(
    directory: Path, pairs: list[tuple[bytes, bytes]], repeats: int, commits: int
) -> dict[str, float]:
    keys = [key for key, _ in pairs]
    env = lmdb.open(str(directory / "bench.lmdb"), map_size=1 << 32, sync=True)
    try:

        def insert() -> int:
            with env.begin(write=True) as txn:
                for key, value in pairs:
                    txn.put(key, value)
            return len(pairs)

        def get() -> int:
            with env.begin() as txn:
                get_one = txn.get
                for key in keys:
                    get_one(key)
            return len(keys)

        def commit() -> int:
            for key, value in pairs[:commits]:
                with env.begin(write=True) as txn:
                    txn.put(key, value)
            return commits

        return {
            "insert": median_us_per_op(insert, repeats),
            "get": median_us_per_op(get, repeats),
            "commit": median_us_per_op(commit, repeats),
        }
    finally:
        env.close()


async def get_episode_us(storage: StorageBackend, n_episodes: int, gets: int) -> float:
    """Median microseconds of ``get_episode`` over ``gets`` random ids, after loading episodes."""
    episodes = list(generate_episodes(n_episodes, seed=1))
    await storage.open()
    try:
        await storage.put_episodes(episodes)
        ids = [episode.id for episode in random.Random(2).choices(episodes, k=gets)]
        samples = []
        for episode_id in ids:
            start = time.perf_counter()
            found = await storage.get_episode(episode_id)
            samples.append(time.perf_counter() - start)
            assert found is not None
        return statistics.median(samples) * 1e6
    finally:
        await storage.close()


def storage_table(n_episodes: int) -> None:
    """Print cached (RedbCache) against libSQL-only (TursoStorage) get_episode."""
    with tempfile.TemporaryDirectory() as directory:
        cache_us = anyio.run(
            get_episode_us, RedbCache(Path(directory) / "c.redb"), n_episodes, 1000
        )
        turso_us = anyio.run(
            get_episode_us, TursoStorage(Path(directory) / "m.db"), n_episodes, 1000
        )
    print(f"\n{n_episodes:,} generated episodes; median of 1,000 random get_episode calls, µs\n")
    print("| get_episode | µs per call | vs libSQL |")
    print("| --- | ---: | ---: |")
    print(f"| RedbCache (redb, worker thread) | {cache_us:.1f} | {cache_us / turso_us:.2f}× |")
    print(f"| TursoStorage (embedded libSQL file) | {turso_us:.1f} | 1.00× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--value-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--skip-storage", action="store_true")
    args = parser.parse_args()
    pairs = [(os.urandom(16), os.urandom(args.value_size)) for _ in range(args.keys)]
    with tempfile.TemporaryDirectory() as redb_dir, tempfile.TemporaryDirectory() as lmdb_dir:
        ours = bench_redb(Path(redb_dir), pairs, args.repeats, args.commits)
        theirs = bench_lmdb(Path(lmdb_dir), pairs, args.repeats, args.commits)
    print(
        f"{args.keys:,} keys of 16 B, values of {args.value_size:,} B; "
        f"median of {args.repeats} runs, µs per operation\n"
    )
    print("| operation | redb binding | py-lmdb | ratio |")
    print("| --- | ---: | ---: | ---: |")
    labels = {
        "get": "get (one read txn)",
        "insert": "insert (one write txn, commit amortized)",
        "commit": "durable single-key write txn",
    }
    for name, label in labels.items():
        ratio = ours[name] / theirs[name]
        print(f"| {label} | {ours[name]:.2f} | {theirs[name]:.2f} | {ratio:.2f}× |")
    verdict = "met" if ours["get"] <= 2 * theirs["get"] else "NOT met"
    print(f"\nTarget get ≤ 2× py-lmdb: {verdict}.")
    if not args.skip_storage:
        storage_table(args.episodes)


if __name__ == "__main__":
    main()
