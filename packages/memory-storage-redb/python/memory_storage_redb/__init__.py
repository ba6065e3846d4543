"""redb for Python: a small native binding and a hot-path cache built on it.

The binding mirrors redb's own names::

    from memory_storage_redb import Database

    with Database("cache.redb") as db:
        with db.begin_write() as txn:          # commits on a clean exit, aborts on an exception
            txn.open_table("t").insert(b"k", b"v")
        with db.begin_read() as txn:
            assert txn.open_table("t").get(b"k") == b"v"

``RedbCache`` implements :class:`memory_core.storage.StorageBackend` as a cache
(episodes, patterns, heuristics, embeddings, metadata) with TTL and capacity
eviction, meant to sit in front of a durable store.
"""

from __future__ import annotations

from ._redb import REDB_VERSION as REDB_VERSION
from ._redb import CommitError as CommitError
from ._redb import CorruptedError as CorruptedError
from ._redb import Database as Database
from ._redb import DatabaseAlreadyOpenError as DatabaseAlreadyOpenError
from ._redb import DatabaseClosedError as DatabaseClosedError
from ._redb import DatabaseError as DatabaseError
from ._redb import ReadOnlyTable as ReadOnlyTable
from ._redb import ReadTransaction as ReadTransaction
from ._redb import RedbError as RedbError
from ._redb import RedbStorageError as RedbStorageError
from ._redb import Table as Table
from ._redb import TableDoesNotExistError as TableDoesNotExistError
from ._redb import TableError as TableError
from ._redb import TransactionClosedError as TransactionClosedError
from ._redb import TransactionError as TransactionError
from ._redb import ValueTooLargeError as ValueTooLargeError
from ._redb import WriteTransaction as WriteTransaction
from ._stats import CacheStats as CacheStats
from .cache import RedbCache as RedbCache

__all__ = [
    "REDB_VERSION",
    "CacheStats",
    "CommitError",
    "CorruptedError",
    "Database",
    "DatabaseAlreadyOpenError",
    "DatabaseClosedError",
    "DatabaseError",
    "ReadOnlyTable",
    "ReadTransaction",
    "RedbCache",
    "RedbError",
    "RedbStorageError",
    "Table",
    "TableDoesNotExistError",
    "TableError",
    "TransactionClosedError",
    "TransactionError",
    "ValueTooLargeError",
    "WriteTransaction",
    "__version__",
]

__version__ = "0.1.0"
