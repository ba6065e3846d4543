"""Several processes and a SIGKILL against one embedded file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import anyio
import libsql  # type: ignore[import-untyped]

from memory_storage_turso import TursoStorage
from memory_test_utils import generate_episodes

SCRIPTS = Path(__file__).parent / "scripts"
WRITERS = 4
PER_WRITER = 1000


def _integrity(path: Path) -> str:
    conn = libsql.connect(str(path))
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchall()[0][0])
    finally:
        conn.close()


def _child(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPTS / script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_burst_loses_no_completed_episode(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    child = _child("record_episodes.py", path)
    assert child.stdout is not None
    promised: list[str] = []
    deadline = time.monotonic() + 60
    while len(promised) < 60 and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        promised.append(line.strip())
    os.kill(child.pid, signal.SIGKILL)
    rest, errors = child.communicate(timeout=30)
    # Only complete lines are promises; a torn last line was never finished.
    promised += [line for line in rest.split("\n")[:-1] if line]
    assert child.returncode == -signal.SIGKILL
    assert len(promised) >= 60, errors[-2000:]

    async def check() -> None:
        async with TursoStorage(path) as storage:
            found = await storage.get_episodes([uuid.UUID(text) for text in promised])
            assert [str(episode.id) for episode in found] == promised
            assert all(episode.is_completed and episode.reward for episode in found)

    anyio.run(check)
    assert _integrity(path) == "ok"


def test_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    writers = WRITERS
    path = tmp_path / "shared.db"
    go = tmp_path / "go"
    children = [_child("put_episodes.py", path, seed, PER_WRITER, go) for seed in range(writers)]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.communicate()[1][-2000:]
    go.touch()
    for child in children:
        output, errors = child.communicate(timeout=120)
        assert child.returncode == 0, errors[-2000:]
        assert "database is locked" not in errors
        assert output.strip() == "done"

    expected = {e.id for seed in range(writers) for e in generate_episodes(PER_WRITER, seed=seed)}

    async def check() -> None:
        async with TursoStorage(path) as storage:
            assert await storage.count_episodes() == writers * PER_WRITER
            found = await storage.get_episodes(sorted(expected))
            assert {episode.id for episode in found} == expected

    anyio.run(check)
    assert _integrity(path) == "ok"
