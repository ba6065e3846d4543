"""The redb binding against py-lmdb (point get, batched insert) and RedbCache's get_episode.

``BENCH_REDB_KEYS`` sets the number of keys (default 20,000; 16-byte keys,
256-byte values). Each round of the get benchmarks reads every key once inside
one read transaction; insert rounds write every key inside one write
transaction into a fresh file. The side-by-side table comes from
``compare_redb.py``.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import lmdb
import pytest

from memory_core.models import Episode
from memory_storage_redb import Database, RedbCache
from memory_test_utils import generate_episodes

KEYS_N = int(os.environ.get("BENCH_REDB_KEYS", "20000"))


@pytest.fixture(scope="module")
def pairs() -> list[tuple[bytes, bytes]]:
    rng = random.Random(5)
    return [(rng.randbytes(16), rng.randbytes(256)) for _ in range(KEYS_N)]


@pytest.fixture
def redb_db(tmp_path: Path, pairs: list[tuple[bytes, bytes]]) -> Iterator[Database]:
    with Database(tmp_path / "bench.redb") as db:
        with db.begin_write() as txn:
            table = txn.open_table("t")
            for key, value in pairs:
                table.insert(key, value)
        yield db


@pytest.fixture
def lmdb_env(tmp_path: Path, pairs: list[tuple[bytes, bytes]]) -> Iterator[Any]:
    env = lmdb.open(str(tmp_path / "bench.lmdb"), map_size=1 << 32)
    with env.begin(write=True) as txn:
        for key, value in pairs:
            txn.put(key, value)
    yield env
    env.close()


@pytest.mark.benchmark(group="redb-get")
def test_get_redb(benchmark: Any, redb_db: Database, pairs: list[tuple[bytes, bytes]]) -> None:
    keys = [key for key, _ in pairs]

    def run() -> None:
        with redb_db.begin_read() as txn:
            get = txn.open_table("t").get
            for key in keys:
                get(key)

    benchmark(run)
    benchmark.extra_info["ops_per_round"] = len(keys)


@pytest.mark.benchmark(group="redb-get")
def test_get_lmdb(benchmark: Any, lmdb_env: Any, pairs: list[tuple[bytes, bytes]]) -> None:
    keys = [key for key, _ in pairs]

    def run() -> None:
        with lmdb_env.begin() as txn:
            get = txn.get
            for key in keys:
                get(key)

    benchmark(run)
    benchmark.extra_info["ops_per_round"] = len(keys)


@pytest.mark.benchmark(group="redb-insert")
def test_insert_redb(benchmark: Any, tmp_path: Path, pairs: list[tuple[bytes, bytes]]) -> None:
    counter = iter(range(1_000_000))

    def setup() -> tuple[tuple[Database], dict[str, Any]]:
        return (Database(tmp_path / f"insert-{next(counter)}.redb"),), {}

    def run(db: Database) -> None:
        with db.begin_write() as txn:
            table = txn.open_table("t")
            for key, value in pairs:
                table.insert(key, value)
        db.close()

    benchmark.pedantic(run, setup=setup, rounds=3)
    benchmark.extra_info["ops_per_round"] = len(pairs)


@pytest.mark.benchmark(group="redb-insert")
def test_insert_lmdb(benchmark: Any, tmp_path: Path, pairs: list[tuple[bytes, bytes]]) -> None:
    counter = iter(range(1_000_000))

    def setup() -> tuple[tuple[Any], dict[str, Any]]:
        path = tmp_path / f"insert-{next(counter)}.lmdb"
        return (lmdb.open(str(path), map_size=1 << 32),), {}

    def run(env: Any) -> None:
        with env.begin(write=True) as txn:
            for key, value in pairs:
                txn.put(key, value)
        env.close()

    benchmark.pedantic(run, setup=setup, rounds=3)
    benchmark.extra_info["ops_per_round"] = len(pairs)


async def _gets(cache: RedbCache, episodes: list[Episode], ids: list[uuid.UUID]) -> None:
    await cache.open()
    try:
        if await cache.count_episodes() == 0:
            await cache.put_episodes(episodes)
        for episode_id in ids:
            await cache.get_episode(episode_id)
    finally:
        await cache.close()


@pytest.mark.benchmark(group="redb-cache-get-episode")
def test_cache_get_episode(benchmark: Any, tmp_path: Path) -> None:
    episodes = list(generate_episodes(2000, seed=1))
    ids = [episode.id for episode in random.Random(2).choices(episodes, k=1000)]
    cache = RedbCache(tmp_path / "cache.redb")
    benchmark.pedantic(lambda: anyio.run(_gets, cache, episodes, ids), rounds=3)
    benchmark.extra_info["gets_per_round"] = len(ids)
