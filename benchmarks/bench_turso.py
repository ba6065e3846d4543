"""TursoStorage: bulk insert against raw stdlib sqlite3, point reads, and the same over HTTP.

``BENCH_TURSO_EPISODES`` sets the bulk size (default 100,000 generated episodes).
Each bulk round writes every episode in one transaction into a fresh database;
the raw contender inserts the very rows TursoStorage writes, serialized before
the clock starts, into the same table and index. Point-read rounds fetch
``GETS_PER_ROUND`` random episodes inside one event loop and report p50 in
``extra_info``. The side-by-side table comes from ``compare_turso.py``.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from memory_core.models import Episode
from memory_storage_turso import TursoStorage
from memory_storage_turso._records import EPISODES, episode_row
from memory_storage_turso._schema import MIGRATIONS
from memory_test_utils import generate_episodes
from memory_test_utils.sqld import SqldServer, run_sqld

EPISODES_N = int(os.environ.get("BENCH_TURSO_EPISODES", "100000"))
GETS_PER_ROUND = 1000
EPISODES_DDL = [
    sql
    for sql in MIGRATIONS[0].statements
    if sql.startswith("CREATE TABLE episodes") or "ON episodes (started_at" in sql
]
INSERT_SAME = (
    f"INSERT INTO episodes ({', '.join(EPISODES.columns)}) "
    f"VALUES ({', '.join('?' * len(EPISODES.columns))})"
)


@pytest.fixture(scope="module")
def episodes() -> list[Episode]:
    return list(generate_episodes(EPISODES_N, seed=1))


@pytest.fixture(scope="module")
def sample_ids(episodes: list[Episode]) -> list[uuid.UUID]:
    return [e.id for e in random.Random(2).sample(episodes, min(GETS_PER_ROUND, len(episodes)))]


@pytest.fixture(scope="module")
def sqld() -> Iterator[SqldServer]:
    with run_sqld() as server:
        yield server


def _fresh(directory: Path, name: str) -> Path:
    path = directory / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


async def _put(url: str, episodes: Sequence[Episode]) -> None:
    async with TursoStorage(url, timeout=600) as storage:
        await storage.put_episodes(episodes)


async def _gets(url: str, ids: Sequence[uuid.UUID]) -> float:
    """Median seconds of one ``get_episode``."""
    times = []
    async with TursoStorage(url) as storage:
        for item in ids:
            started = time.perf_counter()
            await storage.get_episode(item)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def _raw_insert(path: Path, rows: Sequence[Sequence[Any]]) -> None:
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for statement in EPISODES_DDL:
        conn.execute(statement)
    conn.execute("BEGIN")
    conn.executemany(INSERT_SAME, rows)
    conn.execute("COMMIT")
    conn.close()


@pytest.mark.benchmark(group="turso-bulk-insert")
def test_bulk_insert_raw_sqlite3(benchmark: Any, episodes: list[Episode], tmp_path: Path) -> None:
    rows = [episode_row(episode) for episode in episodes]

    def setup() -> tuple[tuple[Path, list[Any]], dict[str, Any]]:
        return (_fresh(tmp_path, "raw.db"), rows), {}

    benchmark.pedantic(_raw_insert, setup=setup, rounds=3, iterations=1)
    benchmark.extra_info["episodes"] = len(episodes)


@pytest.mark.benchmark(group="turso-bulk-insert")
def test_bulk_insert_turso_file(benchmark: Any, episodes: list[Episode], tmp_path: Path) -> None:
    def setup() -> tuple[tuple[str, list[Episode]], dict[str, Any]]:
        return (str(_fresh(tmp_path, "turso.db")), episodes), {}

    benchmark.pedantic(lambda url, eps: anyio.run(_put, url, eps), setup=setup, rounds=3)
    benchmark.extra_info["episodes"] = len(episodes)


@pytest.mark.benchmark(group="turso-bulk-insert")
def test_bulk_insert_turso_http(benchmark: Any, episodes: list[Episode], sqld: SqldServer) -> None:
    def setup() -> tuple[tuple[str, list[Episode]], dict[str, Any]]:
        sqld.reset()
        return (sqld.url, episodes), {}

    benchmark.pedantic(lambda url, eps: anyio.run(_put, url, eps), setup=setup, rounds=1)
    benchmark.extra_info["episodes"] = len(episodes)


@pytest.mark.benchmark(group="turso-point-get")
@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_point_get_turso_file(
    benchmark: Any,
    episodes: list[Episode],
    sample_ids: list[uuid.UUID],
    tmp_path: Path,
    backend: str,
) -> None:
    path = str(_fresh(tmp_path, "gets.db"))
    anyio.run(_put, path, episodes)
    p50 = benchmark.pedantic(
        lambda: anyio.run(_gets, path, sample_ids, backend=backend), rounds=3, iterations=1
    )
    benchmark.extra_info["gets_per_round"] = len(sample_ids)
    benchmark.extra_info["p50_us"] = p50 * 1e6


@pytest.mark.benchmark(group="turso-point-get")
def test_point_get_turso_http(
    benchmark: Any, episodes: list[Episode], sample_ids: list[uuid.UUID], sqld: SqldServer
) -> None:
    sqld.reset()
    anyio.run(_put, sqld.url, episodes)
    p50 = benchmark.pedantic(lambda: anyio.run(_gets, sqld.url, sample_ids), rounds=3)
    benchmark.extra_info["gets_per_round"] = len(sample_ids)
    benchmark.extra_info["p50_us"] = p50 * 1e6
