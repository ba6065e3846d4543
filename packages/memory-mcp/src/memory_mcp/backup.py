"""Online backup and restore of an embedded libSQL store.

**Backup** copies the database with SQLite's ``VACUUM INTO`` through a ``libsql``
connection of its own. ``VACUUM INTO`` reads inside one read transaction, and the store
runs in WAL mode, so the copy is a consistent snapshot taken while servers keep writing:
it holds every transaction committed before the backup started (and possibly some that
committed while it ran), never half of one. The copy goes to a temporary file beside the
destination, passes ``PRAGMA integrity_check`` and is then renamed into place, so a
destination never holds a partial backup.

**Restore** replaces the store's file with a backup. It checks the backup first
(integrity, and that it is a memory store), then refuses when any process has the store
open — detected through the locks SQLite itself holds: every open connection keeps a read
lock on the database file's shared-lock range and on the ``-shm`` file — or holds the redb
cache, unless ``force=True``. While it swaps the file it holds SQLite's exclusive lock, so
a server starting meanwhile waits instead of reading a half-replaced store. The stale
``-wal``/``-shm`` files and the redb cache (which would otherwise serve the old contents)
are removed; the cache is rebuilt by read-through.

Remote stores (sqld, Turso) have no file to copy: both functions refuse them with a
:class:`~memory_core.errors.ValidationError` pointing at ``memory export`` instead.
Lock detection uses POSIX ``fcntl`` locks (Linux, macOS); elsewhere restore needs ``force``.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import libsql  # type: ignore[import-untyped]  # ships no type information
import msgspec

from memory_core.errors import StorageError, ValidationError

from .errors import MemoryMcpError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "BackupError",
    "BackupReport",
    "RestoreReport",
    "StoreInUseError",
    "backup_database",
    "local_store_file",
    "restore_database",
    "store_file",
]

# SQLite's lock bytes (os_unix.c): PENDING, RESERVED, then the 510-byte SHARED range;
# a write lock over all 512 is what SQLite's own EXCLUSIVE lock amounts to.
_LOCK_OFFSET = 0x40000000
_LOCK_LENGTH = 512
# The WAL-index "dead man switch" byte every open WAL connection holds a read lock on.
_SHM_DMS_OFFSET = 128


class BackupError(MemoryMcpError, StorageError):
    """Raised by backup and restore when a copy cannot be made, checked or put in place."""


class StoreInUseError(BackupError):
    """Raised by :func:`restore_database` when another process has the store or cache open."""


class BackupReport(msgspec.Struct, frozen=True, kw_only=True):
    """A finished, checked backup."""

    source: str
    destination: str
    bytes: int
    episodes: int
    seconds: float


class RestoreReport(msgspec.Struct, frozen=True, kw_only=True):
    """A finished restore."""

    source: str
    destination: str
    bytes: int
    episodes: int
    removed_cache_files: list[str]


def _located(db_url: str | None, auth_token: str | None) -> tuple[Path | None, str]:
    """The store's file (None when remote or in memory) and how to name it in messages."""
    # TursoStorage owns URL parsing (and its errors); constructing one opens nothing.
    from memory_storage_turso import TursoStorage

    storage = TursoStorage(db_url, auth_token=auth_token)
    if storage.is_remote:
        return None, "a remote database"
    if storage.url == ":memory:":
        return None, "an in-memory database"
    return Path(storage.url), storage.url


def local_store_file(db_url: str | None, auth_token: str | None = None) -> Path | None:
    """The file of an embedded store URL or path; None for a remote or ``:memory:`` store."""
    return _located(db_url, auth_token)[0]


def store_file(db_url: str | None, auth_token: str | None = None) -> Path:
    """The file of an embedded store URL or path; ValidationError for remote or ``:memory:``."""
    path, what = _located(db_url, auth_token)
    if path is None:
        raise ValidationError(
            f"db_url: the store is {what}; backup and restore copy an embedded file. Use "
            "`memory export` / `memory import` instead (or the server's own backups)",
            field="db_url",
        )
    return path


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[Any]:
    conn = libsql.connect(str(path))
    try:
        yield conn
    finally:
        conn.close()


def _check_copy(path: Path) -> int:
    """Integrity-check a database file; returns its episode count."""
    try:
        with _connect(path) as conn:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
            if problems != ["ok"]:
                raise BackupError(f"{path} fails the integrity check: {'; '.join(problems[:5])}")
            tables = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'episodes'"
            ).fetchall()
            if not tables:
                raise BackupError(f"{path} is a database but not a memory store (no episodes)")
            count: int = conn.execute("SELECT count(*) FROM episodes").fetchall()[0][0]
            return count
    except BackupError:
        raise
    except Exception as exc:  # libsql raises bare ValueError/RuntimeError subclasses
        raise BackupError(f"{path} is not a readable database: {exc}") from exc


def _partial_name(destination: Path) -> Path:
    return destination.with_name(f".{destination.name}.partial-{os.getpid()}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _backup(source: Path, destination: Path, overwrite: bool) -> BackupReport:
    started = time.monotonic()
    if not source.is_file():
        raise BackupError(f"no store at {source}: nothing to back up")
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} exists; choose another name or overwrite it explicitly")
    if destination.is_dir():
        raise BackupError(f"{destination} is a directory; name the backup file")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial_name(destination)
    partial.unlink(missing_ok=True)
    try:
        try:
            with _connect(source) as conn:
                conn.execute("VACUUM INTO ?", (str(partial),))
        except Exception as exc:
            raise BackupError(f"cannot copy {source}: {exc}") from exc
        episodes = _check_copy(partial)
        _fsync(partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(
        source=str(source),
        destination=str(destination),
        bytes=destination.stat().st_size,
        episodes=episodes,
        seconds=time.monotonic() - started,
    )


async def backup_database(
    db_url: str | None,
    destination: Path,
    *,
    auth_token: str | None = None,
    overwrite: bool = False,
) -> BackupReport:
    """Copy the embedded store at ``db_url`` to ``destination`` while it stays in use.

    Raises :class:`ValidationError` for a remote or in-memory URL and :class:`BackupError`
    when the store is missing, ``destination`` exists (unless ``overwrite``) or the copy
    fails its integrity check.
    """
    source = store_file(db_url, auth_token)
    return await anyio.to_thread.run_sync(_backup, source, Path(destination), overwrite)


# Restore ------------------------------------------------------------------------------
def _try_write_lock(fd: int, length: int, offset: int) -> bool:
    assert fcntl is not None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, length, offset)
    except OSError:
        return False
    return True


def _shm_in_use(shm: Path) -> bool:
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        # Our own lock is released when the descriptor closes.
        return not _try_write_lock(fd, 1, _SHM_DMS_OFFSET)
    finally:
        os.close(fd)


def _cache_files(cache: Path | None) -> list[Path]:
    """The cache file and the per-process fallback files (``cache.redb.<pid>``) beside it."""
    if cache is None or not cache.parent.is_dir():
        return []
    found = [cache] if cache.exists() else []
    prefix = cache.name + "."
    found += [
        p
        for p in cache.parent.iterdir()
        if p.name.startswith(prefix) and p.name[len(prefix) :].isdigit()
    ]
    return found


def _cache_in_use(path: Path) -> bool:
    from memory_storage_redb import Database, DatabaseAlreadyOpenError, RedbError

    try:
        Database(path).close()
    except DatabaseAlreadyOpenError:
        return True
    except RedbError:
        return False  # unreadable: not in use by a working server, and it is removed anyway
    return False


@contextlib.contextmanager
def _exclusive(target: Path, force: bool) -> Iterator[None]:
    """Hold SQLite's exclusive lock on ``target`` (if it exists) unless ``force``."""
    if force or not target.exists():
        yield
        return
    if fcntl is None:  # pragma: no cover - Windows
        raise StoreInUseError(
            f"cannot tell whether {target} is in use on this platform; stop every server "
            "using it and restore with --force"
        )
    fd = os.open(target, os.O_RDWR)
    try:
        if not _try_write_lock(fd, _LOCK_LENGTH, _LOCK_OFFSET) or _shm_in_use(
            target.with_name(target.name + "-shm")
        ):
            raise StoreInUseError(
                f"{target} is open in another process (a running server?); stop it first, "
                "or restore with --force and restart it afterwards"
            )
        yield
    finally:
        os.close(fd)  # releases the lock


def _restore(source: Path, target: Path, cache: Path | None, force: bool) -> RestoreReport:
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if source.resolve() == target.resolve():
        raise BackupError(f"{source} is the store itself; restore from a backup file")
    episodes = _check_copy(source)
    caches = _cache_files(cache)
    if not force:
        busy = [str(path) for path in caches if _cache_in_use(path)]
        if busy:
            raise StoreInUseError(
                f"the cache {busy[0]} is open in another process (a running server?); stop it "
                "first, or restore with --force and restart it afterwards"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial_name(target)
    try:
        with _exclusive(target, force):
            # Copy while holding the lock, so the check above still holds when we swap.
            with source.open("rb") as src, partial.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            # A stale WAL would be replayed onto the restored file: remove it first.
            for suffix in ("-wal", "-shm", "-journal"):
                target.with_name(target.name + suffix).unlink(missing_ok=True)
            os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    for path in caches:
        path.unlink(missing_ok=True)
    return RestoreReport(
        source=str(source),
        destination=str(target),
        bytes=target.stat().st_size,
        episodes=episodes,
        removed_cache_files=[str(path) for path in caches],
    )


async def restore_database(
    source: Path,
    db_url: str | None,
    *,
    cache_path: Path | None = None,
    auth_token: str | None = None,
    force: bool = False,
) -> RestoreReport:
    """Replace the embedded store at ``db_url`` with the backup ``source``.

    ``cache_path`` is the store's redb cache, removed so it cannot serve old contents.
    Raises :class:`StoreInUseError` when another process has the store or the cache open
    (unless ``force``: then such a process keeps the old, unlinked file until restarted),
    :class:`BackupError` when ``source`` is missing or is not a sound memory store, and
    :class:`ValidationError` for a remote or in-memory URL.
    """
    target = store_file(db_url, auth_token)
    return await anyio.to_thread.run_sync(
        _restore, Path(source), target, None if cache_path is None else Path(cache_path), force
    )
