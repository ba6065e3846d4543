"""Online backup and restore (memory_mcp.backup) against real files and real other processes."""

from __future__ import annotations

import itertools
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from memory_core import SelfLearningMemory
from memory_core.codec import encode_msgpack
from memory_core.errors import StorageError, ValidationError
from memory_mcp.backup import (
    BackupError,
    StoreInUseError,
    backup_database,
    restore_database,
)
from memory_mcp.settings import Settings, open_memory
from memory_storage_turso import TursoStorage
from memory_test_utils.workloads import generate_episodes

pytestmark = pytest.mark.anyio

# Writes episodes one transaction each and prints each one's index once it is committed.
_WRITER = """
import sys, anyio
from memory_storage_turso import TursoStorage
from memory_test_utils.workloads import generate_episodes

async def main():
    async with TursoStorage(sys.argv[1]) as storage:
        print("ready", flush=True)
        for index, episode in enumerate(generate_episodes(int(sys.argv[2]), seed=11)):
            await storage.put_episode(episode)
            print(index, flush=True)

anyio.run(main)
"""

# Holds the store (and optionally the redb cache) open until stdin closes.
_HOLDER = """
import sys, anyio
from memory_storage_turso import TursoStorage
from memory_storage_redb import RedbCache

async def main():
    async with TursoStorage(sys.argv[1]) as storage:
        await storage.count_episodes()
        if len(sys.argv) > 2:
            async with RedbCache(sys.argv[2]):
                print("ready", flush=True)
                await anyio.to_thread.run_sync(sys.stdin.read)
        else:
            print("ready", flush=True)
            await anyio.to_thread.run_sync(sys.stdin.read)

anyio.run(main)
"""


@asynccontextmanager
async def _child(
    script: str, *args: str
) -> AsyncIterator[tuple[Process, BufferedByteReceiveStream]]:
    process = await anyio.open_process([sys.executable, "-c", script, *args])
    assert process.stdout is not None
    assert process.stdin is not None
    lines = BufferedByteReceiveStream(process.stdout)
    try:
        # Generous: a child importing a stale editable memory-core rebuilds it first.
        with anyio.fail_after(300):
            assert await lines.receive_until(b"\n", 100) == b"ready"
        yield process, lines
    finally:
        await process.stdin.aclose()
        with anyio.move_on_after(60):
            await process.wait()
        if process.returncode is None:  # only when the test failed mid-way
            process.kill()
            await process.wait()


async def _store(path: Path, count: int, seed: int = 5) -> dict[object, bytes]:
    async with SelfLearningMemory(storage=TursoStorage(path)) as memory:
        await memory.import_episodes(generate_episodes(count, seed=seed))
        records = await _records(memory)
    return records


async def _records(memory: SelfLearningMemory) -> dict[object, bytes]:
    found: dict[object, bytes] = {}
    async for batch in memory.storage.iter_episodes(batch_size=200):
        found.update((episode.id, encode_msgpack(episode)) for episode in batch)
    return found


async def _read_records(path: Path) -> dict[object, bytes]:
    async with TursoStorage(path) as storage:
        found: dict[object, bytes] = {}
        async for batch in storage.iter_episodes(batch_size=200):
            found.update((episode.id, encode_msgpack(episode)) for episode in batch)
        return found


def _integrity(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]


async def test_backup_is_a_checked_copy_with_every_episode(tmp_path: Path) -> None:
    expected = await _store(tmp_path / "store.db", 120)
    report = await backup_database(str(tmp_path / "store.db"), tmp_path / "backups" / "b1.db")
    assert report.episodes == 120
    assert report.bytes == (tmp_path / "backups" / "b1.db").stat().st_size
    assert _integrity(tmp_path / "backups" / "b1.db") == ["ok"]
    assert await _read_records(tmp_path / "backups" / "b1.db") == expected
    # No partial file is left beside the backup.
    assert [p.name for p in (tmp_path / "backups").iterdir()] == ["b1.db"]


async def test_backup_while_another_process_writes_holds_every_acknowledged_episode(
    tmp_path: Path,
) -> None:
    store = tmp_path / "busy.db"
    limit = 20_000  # more than it will write: the writer is stopped once the backups are done
    acked: list[int] = []
    snapshots: list[tuple[int, Path]] = []
    async with _child(_WRITER, str(store), str(limit)) as (process, lines):

        async def collect() -> None:
            while True:
                acked.append(int(await lines.receive_until(b"\n", 100)))

        async def wait_for(count: int) -> None:
            with anyio.fail_after(300):
                while len(acked) < count:
                    await anyio.sleep(0.005)

        async with anyio.create_task_group() as group:
            group.start_soon(collect)
            for round_ in range(3):
                await wait_for(150 * (round_ + 1))
                before = len(acked)  # acknowledged before this backup starts
                destination = tmp_path / f"backup-{round_}.db"
                await backup_database(str(store), destination)
                snapshots.append((before, destination))
            # The writer is still going after the last backup: they overlapped.
            await wait_for(snapshots[-1][0] + 100)
            process.terminate()
            group.cancel_scope.cancel()
    final = len(acked)
    # The writer's episodes, in the order it wrote them.
    ids = [episode.id for episode in itertools.islice(generate_episodes(limit, seed=11), final)]
    for before, destination in snapshots:
        assert _integrity(destination) == ["ok"]
        saved = await _read_records(destination)
        assert set(ids[:before]) <= set(saved)
        assert set(saved) <= set(ids)
        assert len(saved) < final  # a snapshot of a store still being written


async def test_backup_refuses_an_existing_destination_unless_overwrite(tmp_path: Path) -> None:
    await _store(tmp_path / "store.db", 10)
    destination = tmp_path / "b.db"
    destination.write_bytes(b"precious")
    with pytest.raises(BackupError, match="exists"):
        await backup_database(str(tmp_path / "store.db"), destination)
    assert destination.read_bytes() == b"precious"
    report = await backup_database(str(tmp_path / "store.db"), destination, overwrite=True)
    assert report.episodes == 10


async def test_backup_errors(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no store at"):
        await backup_database(str(tmp_path / "missing.db"), tmp_path / "b.db")
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(ValidationError, match=r"remote database.*memory export"):
        await backup_database("http://127.0.0.1:9/", tmp_path / "b.db")
    with pytest.raises(ValidationError, match="in-memory database"):
        await backup_database(":memory:", tmp_path / "b.db")
    (tmp_path / "junk.db").write_bytes(os.urandom(8192))
    with pytest.raises(BackupError, match="cannot copy"):
        await backup_database(str(tmp_path / "junk.db"), tmp_path / "b.db")
    assert not (tmp_path / "b.db").exists()


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


async def test_restore_round_trip_replaces_store_and_drops_the_stale_cache(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    async with open_memory(settings) as memory:
        await memory.import_episodes(generate_episodes(80, seed=3))
        saved = await _records(memory)
    db_url = settings.database_url("default")
    cache = settings.cache_file("default")
    assert cache is not None
    await backup_database(db_url, tmp_path / "backup.db")

    # Change the store after the backup: delete some, add others, warm the cache.
    async with open_memory(settings) as memory:
        for episode_id in list(saved)[:10]:
            await memory.delete_episode(episode_id)  # type: ignore[arg-type]
        await memory.import_episodes(generate_episodes(15, seed=99))
        await memory.get_episode(list(saved)[20])  # type: ignore[arg-type]
    assert cache.exists()

    report = await restore_database(tmp_path / "backup.db", db_url, cache_path=cache)
    assert report.episodes == 80
    assert str(cache) in report.removed_cache_files
    assert not cache.exists()
    async with open_memory(settings) as memory:
        assert await _records(memory) == saved
        assert (await memory.stats()).completed_episodes == 80


async def test_restore_refuses_a_store_open_in_another_process(tmp_path: Path) -> None:
    await _store(tmp_path / "backup-source.db", 5)
    await backup_database(str(tmp_path / "backup-source.db"), tmp_path / "backup.db")
    store = tmp_path / "live.db"
    before = await _store(store, 12, seed=8)
    async with _child(_HOLDER, str(store)):
        with pytest.raises(StoreInUseError, match="open in another process") as caught:
            await restore_database(tmp_path / "backup.db", str(store))
        assert isinstance(caught.value, StorageError)
        assert await _read_records(store) == before
        report = await restore_database(tmp_path / "backup.db", str(store), force=True)
        assert report.episodes == 5
    assert len(await _read_records(store)) == 5


async def test_restore_refuses_while_another_process_holds_the_cache(tmp_path: Path) -> None:
    await _store(tmp_path / "store.db", 5)
    await backup_database(str(tmp_path / "store.db"), tmp_path / "backup.db")
    cache = tmp_path / "cache.redb"
    async with _child(_HOLDER, str(tmp_path / "other.db"), str(cache)):
        with pytest.raises(StoreInUseError, match="cache"):
            await restore_database(
                tmp_path / "backup.db", str(tmp_path / "store.db"), cache_path=cache
            )
    report = await restore_database(
        tmp_path / "backup.db", str(tmp_path / "store.db"), cache_path=cache
    )
    assert report.removed_cache_files == [str(cache)]


async def test_restore_refuses_a_bad_source_and_leaves_the_store_alone(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    before = await _store(store, 7)
    (tmp_path / "junk.db").write_bytes(os.urandom(16384))
    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("CREATE TABLE t (x)")
    cases = [
        (tmp_path / "missing.db", "no backup at"),
        (tmp_path / "junk.db", "not a readable database"),
        (tmp_path / "other.db", "not a memory store"),
        (store, "the store itself"),
    ]
    for source, message in cases:
        with pytest.raises(BackupError, match=message):
            await restore_database(source, str(store))
    assert await _read_records(store) == before
    with pytest.raises(ValidationError, match="remote"):
        await restore_database(tmp_path / "junk.db", "libsql://example.invalid")


async def test_restore_into_a_new_location_creates_the_store(tmp_path: Path) -> None:
    expected = await _store(tmp_path / "store.db", 9)
    await backup_database(str(tmp_path / "store.db"), tmp_path / "backup.db")
    target = tmp_path / "elsewhere" / "restored.db"
    report = await restore_database(tmp_path / "backup.db", str(target))
    assert report.removed_cache_files == []
    assert await _read_records(target) == expected
