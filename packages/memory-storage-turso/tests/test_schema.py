"""Versioned migrations: recorded, idempotent, and refusing a newer schema."""

from __future__ import annotations

from pathlib import Path

import libsql  # type: ignore[import-untyped]
import pytest

from memory_storage_turso import SCHEMA_VERSION, SchemaVersionError, TursoStorage
from memory_storage_turso._schema import MIGRATIONS
from memory_test_utils import make_episode
from memory_test_utils.sqld import SqldServer

pytestmark = pytest.mark.anyio


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = libsql.connect(str(path))
    try:
        rows: list[tuple[object, ...]] = conn.execute(sql).fetchall()
        return rows
    finally:
        conn.close()


def _objects(path: Path) -> list[tuple[object, ...]]:
    return _query(path, "SELECT type, name, sql FROM sqlite_master ORDER BY type, name")


async def test_versions_are_recorded_and_reopening_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    episode = make_episode(1)
    async with TursoStorage(path) as storage:
        await storage.put_episode(episode)
    versions = _query(path, "SELECT version, name FROM schema_migrations ORDER BY version")
    assert versions == [(m.version, m.name) for m in MIGRATIONS]
    assert versions[-1][0] == SCHEMA_VERSION
    before = _objects(path)
    for _ in range(3):
        async with TursoStorage(path) as storage:
            assert await storage.get_episode(episode.id) == episode
    assert _objects(path) == before
    assert _query(path, "SELECT count(*) FROM schema_migrations") == [(len(MIGRATIONS),)]


async def test_wal_mode_for_files(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    async with TursoStorage(path):
        pass
    assert _query(path, "PRAGMA journal_mode") == [("wal",)]


async def test_newer_schema_is_refused_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    async with TursoStorage(path):
        pass
    conn = libsql.connect(str(path), isolation_level=None)
    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (99, "future"))
    conn.close()
    before = _objects(path)
    storage = TursoStorage(path)
    with pytest.raises(SchemaVersionError) as caught:
        await storage.open()
    assert caught.value.found == 99
    assert caught.value.supported == SCHEMA_VERSION
    assert "upgrade memory-storage-turso" in str(caught.value)
    assert str(path) in str(caught.value)
    assert _objects(path) == before
    assert repr(storage).endswith("closed)")


async def test_newer_schema_is_refused_remotely(sqld_server: SqldServer, sqld_url: str) -> None:
    async with TursoStorage(sqld_url):
        pass
    sqld_server.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (7, "x"))
    with pytest.raises(SchemaVersionError, match="schema version 7"):
        await TursoStorage(sqld_url).open()


async def test_remote_migrations_are_idempotent(sqld_server: SqldServer, sqld_url: str) -> None:
    for _ in range(2):
        async with TursoStorage(sqld_url) as storage:
            assert await storage.count_episodes() == 0
    rows = sqld_server.execute("SELECT version FROM schema_migrations")
    assert rows == [[SCHEMA_VERSION]]
