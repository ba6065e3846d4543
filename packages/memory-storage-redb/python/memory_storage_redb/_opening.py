"""Opening the cache file, with the per-process fallback when another process holds it."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import msgspec

from memory_core.errors import StorageError

from ._redb import Database, DatabaseAlreadyOpenError, RedbError

__all__ = ["OpenedCache", "open_cache_file"]

logger = logging.getLogger("memory_storage_redb")


class OpenedCache(msgspec.Struct, frozen=True):
    """The open database, the file it uses and whether that is the private fallback."""

    database: Database
    path: Path
    fallback: bool


def open_cache_file(
    path: Path, durability: Literal["immediate", "none"], tables: Iterable[str]
) -> OpenedCache:
    """Open ``path`` (creating ``tables``); if another process holds it, use ``path.<pid>``.

    The fallback is announced by one warning on the ``memory_storage_redb`` logger.
    Every other failure raises :class:`memory_core.errors.StorageError`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        opened = OpenedCache(Database(path, durability=durability), path, False)
    except DatabaseAlreadyOpenError:
        private = path.with_name(f"{path.name}.{os.getpid()}")
        logger.warning(
            "redb cache %s is locked by another process; using private cache file %s",
            path,
            private,
        )
        try:
            opened = OpenedCache(Database(private, durability=durability), private, True)
        except RedbError as exc:
            raise StorageError(f"cannot open redb cache {private}: {exc}") from exc
    except RedbError as exc:
        raise StorageError(f"cannot open redb cache {path}: {exc}") from exc
    try:
        with opened.database.begin_write() as txn:
            for name in tables:
                txn.open_table(name)
    except RedbError as exc:
        opened.database.close()
        raise StorageError(f"cannot create the cache tables: {exc}") from exc
    return opened
