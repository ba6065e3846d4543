"""Disk-full child: writes until the disk (or file-size limit) is full, then recovers.

    fill_disk.py --target libsql|redb --dir DIR --mechanism filesystem|rlimit
                 [--limit BYTES] [--durable PATH]

``--target libsql``: a ``SelfLearningMemory`` on ``TursoStorage(DIR/memory.db)`` records
episodes (large observations) until a call raises; ``--target redb``: the memory runs on
``TieredStorage(durable, RedbCache(DIR/cache.redb))`` and records until the cache has
failed, then 20 more episodes (a cache failure must never fail a tiered write).

Protocol on stdout, one JSON object a line: ``{"ack": id}`` after each completed
episode; ``{"full": {...}}`` with the error once full; then the child waits for a line
on stdin (the parent freed space; with ``rlimit`` the child lifts its own limit), writes
5 more episodes, prints ``{"done": {...}}`` and exits 0.

``rlimit`` sets RLIMIT_FSIZE (SIGXFSZ ignored, so writes fail with EFBIG) once the store
is open; the redb target then keeps its durable store in memory (``:memory:``), so the
limit can only hit the cache file.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import anyio

from memory_core import ExecutionStep, SelfLearningMemory, TaskContext, TaskOutcome
from memory_core.errors import StorageError
from memory_core.storage import TieredStorage
from memory_storage_redb import RedbCache
from memory_storage_turso import TursoStorage

OBSERVATION = "compiler output line with some detail\n" * 200  # ~7.6 KB
MAX_EPISODES = 20_000


class FirstWarning(logging.Handler):
    """Keeps the first warning the tiered layer logs (the cache's original error)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.first = ""

    def emit(self, record: logging.LogRecord) -> None:
        if not self.first:
            self.first = record.getMessage()


def emit(**message: Any) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def record(memory: SelfLearningMemory, number: int) -> str:
    context = TaskContext(language="rust", domain="web", tags=("disk",))
    episode = await memory.start_episode(f"compile crate {number}", context)
    step = ExecutionStep(tool="cargo", action="build", success=True, observation=OBSERVATION)
    await memory.log_step(episode.id, step)
    await memory.complete_episode(episode.id, TaskOutcome(success=True, result="built"))
    emit(ack=str(episode.id))
    return str(episode.id)


def limit_file_size(limit: int | None) -> None:
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit if limit else hard, hard))


async def fill_libsql(args: argparse.Namespace) -> None:
    async with SelfLearningMemory(storage=TursoStorage(args.dir / "memory.db")) as memory:
        if args.mechanism == "rlimit":
            limit_file_size(args.limit)
        number = 0
        error: StorageError | None = None
        while number < MAX_EPISODES:
            try:
                await record(memory, number)
            except StorageError as exc:
                error = exc
                break
            number += 1
        assert error is not None, "the disk never filled up"
        emit(
            full={
                "acked_before_full": number,
                "error_type": type(error).__name__,
                "error_mro": [kind.__name__ for kind in type(error).__mro__[:4]],
                "message": str(error),
                "cause": repr(error.__cause__),
            }
        )
        await anyio.to_thread.run_sync(sys.stdin.readline)
        if args.mechanism == "rlimit":
            limit_file_size(None)
        started = time.monotonic()
        for more in range(5):
            await record(memory, MAX_EPISODES + more)
        emit(done={"resumed_s": round(time.monotonic() - started, 3)})


async def fill_redb(args: argparse.Namespace) -> None:
    durable = TursoStorage(":memory:" if args.mechanism == "rlimit" else str(args.durable))
    cache = RedbCache(args.dir / "cache.redb")
    tiered = TieredStorage(durable, cache)
    warnings = FirstWarning()
    logging.getLogger("memory_core.storage").addHandler(warnings)
    async with SelfLearningMemory(storage=tiered) as memory:
        if args.mechanism == "rlimit":
            limit_file_size(args.limit)
        number, last = 0, ""
        while tiered.cache_errors == 0 and number < MAX_EPISODES:
            last = await record(memory, number)  # must never raise: the cache is not the truth
            number += 1
        assert tiered.cache_errors > 0, "the cache never filled up"
        # What the cache itself raises when written now (the tiered layer swallowed it).
        cache_error = "none"
        probe = await durable.get_episode(uuid.UUID(last))
        assert probe is not None
        try:
            await cache.put_episodes([probe])
        except StorageError as exc:
            cache_error = f"{type(exc).__name__}: {exc}"
        for more in range(20):
            await record(memory, number + more)
        emit(
            full={
                "acked_before_full": number,
                "acked_after_cache_failed": 20,
                "cache_errors": tiered.cache_errors,
                "cache_error": cache_error,
                "first_cache_warning": warnings.first,
            }
        )
        await anyio.to_thread.run_sync(sys.stdin.readline)
        if args.mechanism == "rlimit":
            limit_file_size(None)
        report = await memory.sync_memories()
        errors_before = tiered.cache_errors
        resumed = [await record(memory, MAX_EPISODES + more) for more in range(5)]
        cached = await cache.get_episodes([uuid.UUID(text) for text in resumed])
        emit(
            done={
                "sync_cache_enabled": report.cache_enabled,
                "cache_errors_after_sync": tiered.cache_errors - errors_before,
                "cached_after_recovery": len(cached),
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", choices=("libsql", "redb"), required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--mechanism", choices=("filesystem", "rlimit"), required=True)
    parser.add_argument("--limit", type=int, default=2_000_000)
    parser.add_argument("--durable", type=Path, help="libSQL file of the redb target")
    args = parser.parse_args()
    if args.mechanism == "rlimit":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    work = fill_libsql if args.target == "libsql" else fill_redb
    anyio.run(work, args)


if __name__ == "__main__":
    main()
