"""Print a markdown table: bulk insert and point reads, TursoStorage against raw SQLite.

Usage: ``python benchmarks/compare_turso.py [--episodes 100000] [--rounds 3] [--no-http]``.

Contenders insert the same generated episodes (``generate_episodes(n, seed=1)``)
in one transaction into a fresh file (WAL, ``synchronous=NORMAL`` everywhere):

- *raw sqlite3, same rows*: stdlib ``sqlite3`` ``executemany`` of the rows
  TursoStorage writes (serialized before the clock starts) into the same
  ``episodes`` table and index, default page size. This is the baseline.
- *raw sqlite3, (id, blob)*: the least a store can do, for scale.
- *raw libsql, same rows*: the same as the baseline through the ``libsql`` driver.
- *TursoStorage file*: ``put_episodes`` (serializing included) on an embedded file.
- *TursoStorage HTTP*: the same against a real sqld on loopback (Hrana over HTTP).

Throughput is the best of ``--rounds`` interleaved rounds (the dev machine is
shared; the best run is the one least disturbed). Point reads fetch and decode
random stored episodes, one at a time; p50 and p95 are over ``--gets`` reads.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import libsql  # type: ignore[import-untyped]

from memory_core.codec import decode_episode, encode_msgpack
from memory_core.models import Episode
from memory_storage_turso import TursoStorage
from memory_storage_turso._records import EPISODES, episode_row
from memory_storage_turso._schema import MIGRATIONS
from memory_test_utils import generate_episodes
from memory_test_utils.sqld import run_sqld

# The exact DDL TursoStorage uses for its episodes table and index.
EPISODES_DDL = [
    sql
    for sql in MIGRATIONS[0].statements
    if sql.startswith("CREATE TABLE episodes") or "ON episodes (started_at" in sql
]
INSERT_SAME = (
    f"INSERT INTO episodes ({', '.join(EPISODES.columns)}) "
    f"VALUES ({', '.join('?' * len(EPISODES.columns))})"
)


def fresh_file(directory: Path, name: str) -> Path:
    path = directory / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def raw_insert(
    module: Any, path: Path, ddl: Sequence[str], sql: str, rows: Sequence[Sequence[Any]]
) -> float:
    """Seconds for one transaction inserting ``rows`` with ``executemany``."""
    conn = module.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL").fetchall()
    conn.execute("PRAGMA synchronous=NORMAL")
    for statement in ddl:
        conn.execute(statement)
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(sql, rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def raw_gets(path: Path, ids: Sequence[uuid.UUID]) -> list[float]:
    conn = sqlite3.connect(str(path))
    times = []
    for item in ids:
        started = time.perf_counter()
        (data,) = conn.execute("SELECT data FROM episodes WHERE id = ?", (item.bytes,)).fetchone()
        decode_episode(data)
        times.append(time.perf_counter() - started)
    conn.close()
    return times


async def turso_insert(url: str, episodes: Sequence[Episode]) -> float:
    async with TursoStorage(url, timeout=600) as storage:
        started = time.perf_counter()
        await storage.put_episodes(episodes)
        return time.perf_counter() - started


async def turso_gets(url: str, ids: Sequence[uuid.UUID]) -> list[float]:
    times = []
    async with TursoStorage(url) as storage:
        for item in ids:
            started = time.perf_counter()
            found = await storage.get_episode(item)
            times.append(time.perf_counter() - started)
            assert found is not None
    return times


def percentile(times: Sequence[float], fraction: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--http-rounds", type=int, default=1)
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    n = args.episodes

    print(f"generating {n:,} episodes…", flush=True)
    episodes = list(generate_episodes(n, seed=1))
    same_rows = [episode_row(episode) for episode in episodes]
    minimal_rows = [(episode.id.bytes, encode_msgpack(episode)) for episode in episodes]
    mean_kib = statistics.fmean(len(row[-1]) for row in minimal_rows) / 1024
    ids = [episode.id for episode in random.Random(2).sample(episodes, min(args.gets, n))]
    with tempfile.TemporaryDirectory(prefix="compare-turso-") as work:
        directory = Path(work)
        minimal_ddl = ["CREATE TABLE episodes (id BLOB PRIMARY KEY, data BLOB NOT NULL)"]
        minimal_sql = "INSERT INTO episodes (id, data) VALUES (?, ?)"
        contenders: dict[str, Callable[[Path], float]] = {
            "raw sqlite3, same rows and index": lambda path: raw_insert(
                sqlite3, path, EPISODES_DDL, INSERT_SAME, same_rows
            ),
            "raw sqlite3, (id, blob) only": lambda path: raw_insert(
                sqlite3, path, minimal_ddl, minimal_sql, minimal_rows
            ),
            "raw libsql, same rows and index": lambda path: raw_insert(
                libsql, path, EPISODES_DDL, INSERT_SAME, same_rows
            ),
            "TursoStorage, embedded file": lambda path: anyio.run(
                turso_insert, str(path), episodes
            ),
        }
        best = dict.fromkeys(contenders, float("inf"))
        # Rounds interleave the contenders, so a noisy neighbour hurts them all alike.
        for round_number in range(args.rounds):
            for index, (label, run) in enumerate(contenders.items()):
                path = fresh_file(directory, f"c{index}.db")
                best[label] = min(best[label], run(path))
            print(f"round {round_number + 1}/{args.rounds} done", flush=True)
        reads = {
            "raw sqlite3, same rows and index": raw_gets(directory / "c0.db", ids),
            "raw sqlite3, (id, blob) only": raw_gets(directory / "c1.db", ids),
            "TursoStorage, embedded file": anyio.run(turso_gets, str(directory / "c3.db"), ids),
        }
        results = [(label, best[label], reads.get(label)) for label in contenders]

        if not args.no_http:
            seconds = float("inf")
            gets: list[float] = []
            for _ in range(args.http_rounds):
                with run_sqld() as server:
                    seconds = min(seconds, anyio.run(turso_insert, server.url, episodes))
                    gets = anyio.run(turso_gets, server.url, ids)
            results.append(("TursoStorage, HTTP to sqld (loopback)", seconds, gets))

    baseline = n / results[0][1]
    print()
    print(
        f"{n:,} episodes, mean record {mean_kib:.1f} KiB, one transaction; "
        f"best of {args.rounds} (HTTP: {args.http_rounds}); point reads over {len(ids)} ids; "
        f"{os.cpu_count()} CPUs."
    )
    print()
    print("| contender | insert episodes/s | × raw sqlite3 | get p50 µs | get p95 µs |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds, times in results:
        rate = n / seconds
        p50 = f"{percentile(times, 0.5) * 1e6:,.0f}" if times else "–"
        p95 = f"{percentile(times, 0.95) * 1e6:,.0f}" if times else "–"
        print(f"| {label} | {rate:,.0f} | {rate / baseline:.2f} | {p50} | {p95} |")


if __name__ == "__main__":
    main()
