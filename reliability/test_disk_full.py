"""Scenario 4: disk full, for the libSQL file and for the redb cache.

Two mechanisms, each a parameter:

- ``filesystem``: the store lives on a small tmpfs (or, failing that, an ext4 loop file)
  that also holds a 3 MiB ballast file; deleting the ballast is "space freed". Mounting
  needs privilege: without it this variant is reported as skipped, with the reason.
- ``rlimit``: the writer child lowers its RLIMIT_FSIZE (SIGXFSZ ignored, so writes fail
  with EFBIG) and lifts it again as "space freed". Needs no privilege: it always runs,
  so the scenario can never be skipped as a whole.

Expected: a typed ``StorageError`` for the libSQL file (a cache failure must never fail
a tiered write), every acknowledged write present, ``PRAGMA integrity_check`` ok (the
redb file reopens and every cached record decodes and equals the durable copy), and
writing works again once there is space.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from rel_support import (
    SCRIPTS,
    Recorder,
    as_uuids,
    child_env,
    integrity_check,
    kill_quietly,
    small_filesystem,
)

from memory_storage_redb import RedbCache
from memory_storage_turso import TursoStorage

FS_SIZE = 6 * 1024 * 1024
BALLAST = 3 * 1024 * 1024
RLIMIT = 2_000_000


@pytest.fixture(params=["filesystem", "rlimit"])
def space(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(mechanism, directory to store in); the directory is small when mechanism allows."""
    if request.param == "rlimit":
        directory = tmp_path / "store"
        directory.mkdir()
        yield "rlimit", directory
        return
    with contextlib.ExitStack() as stack:
        try:
            mechanism = stack.enter_context(small_filesystem(tmp_path / "small", FS_SIZE))
        except OSError as exc:
            pytest.skip(f"no small filesystem here ({exc}); the rlimit variant covers disk full")
        (tmp_path / "small" / "ballast").write_bytes(b"\0" * BALLAST)
        yield mechanism, tmp_path / "small"


def _run_child(
    target: str, mechanism: str, directory: Path, durable: Path
) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    kind = "rlimit" if mechanism == "rlimit" else "filesystem"
    child = subprocess.Popen(
        [
            sys.executable,
            str(SCRIPTS / "fill_disk.py"),
            "--target",
            target,
            "--dir",
            str(directory),
            "--mechanism",
            kind,
            "--limit",
            str(RLIMIT),
            "--durable",
            str(durable),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    acked: list[str] = []
    full: dict[str, Any] = {}
    done: dict[str, Any] = {}
    try:
        assert child.stdout is not None
        assert child.stdin is not None
        for line in child.stdout:
            message = json.loads(line)
            if "ack" in message:
                acked.append(message["ack"])
            elif "full" in message:
                full = message["full"]
                if kind == "filesystem":
                    (directory / "ballast").unlink()  # space is available again
                child.stdin.write("freed\n")
                child.stdin.flush()
            elif "done" in message:
                done = message["done"]
        errors = child.stderr.read() if child.stderr else ""
        status = child.wait(timeout=120)
    finally:
        kill_quietly(child)
    assert status == 0, errors[-3000:]
    assert full, errors[-3000:]
    assert done, errors[-3000:]
    return acked, full, done


def test_disk_full_libsql(space: tuple[str, Path], tmp_path: Path, record: Recorder) -> None:
    mechanism, directory = space
    acked, full, done = _run_child("libsql", mechanism, directory, tmp_path / "unused.db")
    # A typed error under memory_core.errors.StorageError, saying what went wrong.
    assert "StorageError" in full["error_mro"], full
    assert full["acked_before_full"] > 0
    integrity = integrity_check(directory / "memory.db")
    assert integrity == "ok"

    async def check() -> int:
        async with TursoStorage(directory / "memory.db") as storage:
            found = await storage.get_episodes(as_uuids(acked))
            assert [str(e.id) for e in found] == acked, "acknowledged episodes lost"
            assert all(e.is_completed for e in found)
            return await storage.count_episodes(completed=True)

    stored = anyio.run(check, backend="trio")
    # What the engine said, after "statement failed on <path>: " (the path may say anything).
    detail = full["message"].rsplit(": ", 1)[-1]
    says_full = any(word in detail.lower() for word in ("full", "space", "too large", "limit"))
    record(
        scenario="Disk full",
        storage="libSQL embedded file",
        numbers={
            "acked_before_full": full["acked_before_full"],
            "acknowledged": len(acked),
            "stored_completed": stored,
            "lost": 0,
            "error": f"{full['error_type']}: ...: {detail}",
            "message_says_disk_full": says_full,
            "integrity": integrity,
            "resumed_after_freeing_s": done["resumed_s"],
        },
        mechanism=_describe(mechanism),
        notes="5 episodes written after space was freed, same open memory",
        finding=""
        if says_full
        else f"under {mechanism} the error is typed but says only {detail!r}: SQLite reports a "
        "failed write other than ENOSPC (here EFBIG) as a generic I/O error, and the libsql "
        "exception carries no errno, so the message cannot name the file-size limit",
    )


def test_disk_full_redb_cache(space: tuple[str, Path], tmp_path: Path, record: Recorder) -> None:
    mechanism, directory = space
    durable = tmp_path / "durable.db"
    acked, full, done = _run_child("redb", mechanism, directory, durable)
    assert full["cache_errors"] >= 1
    # Every tiered write succeeded (the child exits non-zero otherwise); the cache failed typed.
    assert full["cache_error"] == "none" or full["cache_error"].startswith(
        ("StorageError", "CacheError")
    ), full

    async def check() -> dict[str, int]:
        counts = {"cached": 0, "durable": 0}
        async with RedbCache(directory / "cache.redb") as cache:
            cached = [e for batch in [b async for b in cache.iter_episodes()] for e in batch]
            counts["cached"] = len(cached)
            if mechanism != "rlimit":
                async with TursoStorage(durable) as storage:
                    found = await storage.get_episodes(as_uuids(acked))
                    assert [str(e.id) for e in found] == acked, "acknowledged episodes lost"
                    truth = {e.id: e for e in await storage.get_episodes([e.id for e in cached])}
                    stale = [e.id for e in cached if e.is_completed and truth.get(e.id) != e]
                    assert not stale, f"cache holds {len(stale)} records differing from durable"
                    counts["durable"] = len(found)
        return counts

    counts = anyio.run(check, backend="trio")
    warning = full["first_cache_warning"].split("failed (", 1)[-1]
    first_failure = warning.removesuffix("); bypassing it until sync_memories()")
    recovered = done["sync_cache_enabled"] and done["cached_after_recovery"] == 5
    finding = (
        ""
        if recovered
        else "after a redb I/O error (disk full, file-size limit) the RedbCache handle stays "
        "poisoned ('Previous I/O error occurred. Please close and re-open the database.'): "
        "TieredStorage.sync_memories() cannot re-enable the cache once space is back, because "
        "RedbCache.open() only reopens a file marked damaged (CorruptedError), so the cache "
        "stays bypassed until the process restarts. Tiered writes are unaffected."
    )
    record(
        scenario="Disk full",
        storage="redb cache (tiered write path)",
        numbers={
            "acked_before_cache_full": full["acked_before_full"],
            "acked_after_cache_failed": full["acked_after_cache_failed"],
            "acknowledged": len(acked),
            "tiered_write_failures": 0,
            "lost": 0,
            "cache_errors": full["cache_errors"],
            "first_cache_failure": first_failure,
            "cache_error_afterwards": full["cache_error"],
            "cache_reopens_and_decodes": True,
            "cached_records_after": counts["cached"],
            "cache_enabled_after_sync": done["sync_cache_enabled"],
            "cache_errors_after_sync": done["cache_errors_after_sync"],
            "cached_after_recovery": f"{done['cached_after_recovery']}/5",
        },
        mechanism=_describe(mechanism),
        notes=(
            "durable libSQL on the normal disk"
            if mechanism != "rlimit"
            else "durable store in memory (the file-size limit may only hit the cache)"
        ),
        finding=finding,
    )
    # Once space is back, sync_memories() must bring the cache back into use.
    assert done["sync_cache_enabled"], done
    assert done["cache_errors_after_sync"] == 0, done
    assert done["cached_after_recovery"] == 5, done


def _describe(mechanism: str) -> str:
    return {
        "tmpfs": f"tmpfs of {FS_SIZE // 2**20} MiB, {BALLAST // 2**20} MiB ballast deleted to free",
        "loop": f"ext4 loop file of {FS_SIZE // 2**20} MiB with a ballast file",
        "rlimit": f"RLIMIT_FSIZE {RLIMIT} bytes in the writer (SIGXFSZ ignored -> EFBIG)",
    }[mechanism]
