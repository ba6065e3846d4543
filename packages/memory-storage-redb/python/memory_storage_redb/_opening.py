"""Opening the cache file: the per-process fallback, and replacing a damaged file.

A cache holds nothing the durable store does not, so a file redb cannot open
because of its content (truncated, overwritten, not a redb file, damaged pages)
is moved aside to ``<name>.corrupt-<UTC time>`` with a warning naming both
paths, and an empty cache is created in its place. A file that cannot be opened
for any other reason (permissions, a directory, a full disk) raises
:class:`memory_core.errors.StorageError` and is left where it is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import msgspec

from memory_core.errors import StorageError

from ._redb import (
    Database,
    DatabaseAlreadyOpenError,
    DatabaseError,
    RedbError,
    RedbStorageError,
    TableError,
)

__all__ = ["OpenedCache", "close_quietly", "is_panic", "open_cache_file", "replace_damaged_file"]

logger = logging.getLogger("memory_storage_redb")

Durability = Literal["immediate", "none"]


class OpenedCache(msgspec.Struct, frozen=True):
    """The open database, the file it uses, whether that is the private fallback,
    and where a damaged file found at that path was moved (None if none was)."""

    database: Database
    path: Path
    fallback: bool
    moved_aside: Path | None = None


def is_panic(exc: BaseException) -> bool:
    """True for a Rust panic surfacing from the binding.

    pyo3 raises a panic as ``pyo3_runtime.PanicException``, a ``BaseException``
    no module exports; redb panics (instead of returning an error) on some
    damaged pages, so the cache has to recognise it by name.
    """
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


def _is_damage(exc: BaseException) -> bool:
    if isinstance(exc, DatabaseAlreadyOpenError):
        return False
    return isinstance(exc, (RedbStorageError, DatabaseError, TableError)) or is_panic(exc)


def _usable_file(path: Path) -> bool:
    """True if the OS lets us read and write ``path``: then redb's complaint is its content."""
    try:
        with path.open("r+b") as handle:
            handle.read(1)
    except OSError:
        return False
    return path.is_file()


def close_quietly(database: Database) -> None:
    """Close ``database``, ignoring failures: it is damaged and being replaced."""
    # Closing a damaged file may fail or panic again; the handle is dropped either way.
    try:
        database.close()
    except Exception:
        pass  # nothing useful to do with a failed close here
    except BaseException as exc:
        if not is_panic(exc):
            raise


def _open_with_tables(path: Path, durability: Durability, tables: Iterable[str]) -> Database:
    """Open ``path`` and create ``tables``; redb's errors and panics propagate as they are."""
    database = Database(path, durability=durability)
    try:
        with database.begin_write() as txn:
            for name in tables:
                txn.open_table(name)
    except BaseException:
        close_quietly(database)
        raise
    return database


def replace_damaged_file(path: Path, reason: object) -> Path:
    """Move ``path`` to a fresh ``<name>.corrupt-<UTC time>`` and warn; return the new path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    serial = 1
    while target.exists():
        serial += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{serial}")
    path.rename(target)
    logger.warning(
        "redb cache %s is damaged (%s); moved it to %s and started an empty cache, "
        "refilled from the durable store",
        path,
        reason,
        target,
    )
    return target


def _open_or_replace(
    path: Path, durability: Durability, tables: Iterable[str], *, force: bool = False
) -> tuple[Database, Path | None]:
    """Open ``path``; if its content is damaged (or ``force``), replace it by an empty file."""
    tables = tuple(tables)
    reason: BaseException | str = "damaged at runtime"
    if not force:
        try:
            return _open_with_tables(path, durability, tables), None
        except BaseException as exc:
            if not _is_damage(exc):
                raise
            if not _usable_file(path):
                raise StorageError(f"cannot open redb cache {path}: {exc}") from exc
            reason = exc
    try:
        moved = replace_damaged_file(path, reason)
    except OSError as exc:
        raise StorageError(f"cannot move damaged redb cache {path} aside: {exc}") from exc
    try:
        return _open_with_tables(path, durability, tables), moved
    except BaseException as exc:
        if not (isinstance(exc, RedbError) or is_panic(exc)):
            raise
        # A fresh file failing too means the trouble is not the old file: put it back.
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
            moved.rename(path)
        raise StorageError(f"cannot create a new redb cache at {path}: {exc}") from exc


def open_cache_file(
    path: Path, durability: Durability, tables: Iterable[str], *, replace: bool = False
) -> OpenedCache:
    """Open ``path`` (creating ``tables``); if another process holds it, use ``path.<pid>``.

    The fallback is announced by one warning on the ``memory_storage_redb`` logger.
    A damaged file is moved aside and replaced by an empty one (one warning); with
    ``replace`` the file is replaced without trying it (it failed at runtime).
    Every other failure raises :class:`memory_core.errors.StorageError`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tables = tuple(tables)
    try:
        database, moved = _open_or_replace(path, durability, tables, force=replace)
        return OpenedCache(database, path, False, moved)
    except DatabaseAlreadyOpenError:
        private = path.with_name(f"{path.name}.{os.getpid()}")
        logger.warning(
            "redb cache %s is locked by another process; using private cache file %s",
            path,
            private,
        )
        try:
            database, moved = _open_or_replace(private, durability, tables)
        except RedbError as exc:
            raise StorageError(f"cannot open redb cache {private}: {exc}") from exc
        return OpenedCache(database, private, True, moved)
    except RedbError as exc:
        raise StorageError(f"cannot open redb cache {path}: {exc}") from exc
