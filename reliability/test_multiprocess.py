"""Scenario 2: four writer processes on one store (embedded file, sqld, tiered).

Four children open the same store, wait for a go signal and record episodes through
``SelfLearningMemory`` at the same time. Every acknowledged episode must be there,
completed with its steps, and the stored count must be exactly the acknowledged count.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from rel_support import (
    Acks,
    Recorder,
    as_uuids,
    integrity_check,
    kill_quietly,
    latency_summary,
    read_until,
    spawn_script,
)

from memory_storage_turso import TursoStorage
from memory_test_utils.sqld import SqldServer, run_sqld

WRITERS = 4
PER_WRITER = 100
STEPS = 3


@pytest.fixture(scope="module")
def sqld() -> Iterator[SqldServer]:
    with run_sqld() as server:
        yield server


def _four_writers(tmp_path: Path, arguments: list[str]) -> tuple[Acks, float, list[str]]:
    go = tmp_path / "go"
    children = [
        spawn_script(
            "writer.py",
            *arguments,
            "--count",
            PER_WRITER,
            "--steps",
            STEPS,
            "--seed",
            seed,
            "--go",
            go,
        )
        for seed in range(WRITERS)
    ]
    acks = Acks()
    stderr: list[str] = []
    try:
        for child in children:
            read_until(child, "ready")
        started = time.monotonic()
        go.touch()
        for child in children:
            output, errors = child.communicate(timeout=300)
            assert child.returncode == 0, errors[-3000:]
            assert output.rstrip().endswith("done")
            acks.feed(output.splitlines())
            stderr.append(errors)
        elapsed = time.monotonic() - started
    finally:
        for child in children:
            kill_quietly(child)
    return acks, elapsed, stderr


async def _verify(url: str, promised: list[str]) -> None:
    async with TursoStorage(url) as storage:
        found = await storage.get_episodes(as_uuids(promised))
        assert sorted(str(e.id) for e in found) == sorted(promised), "acknowledged episodes lost"
        assert all(e.is_completed and len(e.steps) == STEPS for e in found)
        assert await storage.count_episodes() == len(promised), "stored count differs"
        assert await storage.count_episodes(completed=True) == len(promised)


def _record(
    record: Recorder, storage: str, acks: Acks, elapsed: float, integrity: str, notes: str
) -> None:
    numbers: dict[str, Any] = {
        "writers": WRITERS,
        "acknowledged": len(acks.ids),
        "stored": len(acks.ids),
        "lost": 0,
        "seconds": round(elapsed, 2),
        "episodes_per_s": round(len(acks.ids) / elapsed, 1),
        "integrity": integrity,
        "episode_latency": latency_summary(acks.latencies_ms),
    }
    record(
        scenario="Four processes on one store",
        storage=storage,
        numbers=numbers,
        mechanism=f"{WRITERS} writer processes x {PER_WRITER} episodes, {STEPS} steps each",
        notes=notes,
    )


def test_four_processes_embedded_libsql(tmp_path: Path, record: Recorder) -> None:
    path = tmp_path / "memory.db"
    acks, elapsed, stderr = _four_writers(tmp_path, ["--storage", "libsql", "--target", str(path)])
    assert len(acks.ids) == WRITERS * PER_WRITER
    assert not any("database is locked" in text for text in stderr)
    anyio.run(_verify, str(path), acks.ids, backend="trio")
    integrity = integrity_check(path)
    assert integrity == "ok"
    _record(record, "libSQL embedded file", acks, elapsed, integrity, "one WAL file, 4 writers")


def test_four_processes_sqld(sqld: SqldServer, tmp_path: Path, record: Recorder) -> None:
    sqld.reset()
    acks, elapsed, _ = _four_writers(tmp_path, ["--storage", "sqld", "--target", sqld.url])
    assert len(acks.ids) == WRITERS * PER_WRITER
    anyio.run(_verify, sqld.url, acks.ids, backend="trio")
    integrity = str(sqld.execute("PRAGMA integrity_check")[0][0])
    assert integrity == "ok"
    _record(record, "remote sqld", acks, elapsed, integrity, "4 clients over Hrana HTTP")


def test_four_processes_tiered(tmp_path: Path, record: Recorder) -> None:
    path, cache = tmp_path / "memory.db", tmp_path / "cache.redb"
    arguments = ["--storage", "tiered", "--target", str(path), "--cache", str(cache)]
    acks, elapsed, stderr = _four_writers(tmp_path, arguments)
    assert len(acks.ids) == WRITERS * PER_WRITER
    anyio.run(_verify, str(path), acks.ids, backend="trio")
    integrity = integrity_check(path)
    assert integrity == "ok"
    fallbacks = sum("private" in text or "fallback" in text or ".redb." in text for text in stderr)
    _record(
        record,
        "tiered (libSQL + redb cache)",
        acks,
        elapsed,
        integrity,
        f"one process holds cache.redb, the others fall back ({fallbacks} logged a fallback)",
    )
