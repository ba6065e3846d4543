"""Typed errors of the libSQL backend, all under :class:`memory_core.errors.StorageError`.

Native failures (``libsql`` exceptions, ``httpx`` transport errors, Hrana error
responses) are mapped onto these classes at the boundary, with the original kept
as ``__cause__``. Every message names the database by its redacted URL: an auth
token never appears in a message or a ``repr``.
"""

from __future__ import annotations

from memory_core.errors import StorageError

__all__ = [
    "SchemaVersionError",
    "StorageAuthError",
    "StorageQueryError",
    "StorageUnavailableError",
    "TursoStorageError",
]


class TursoStorageError(StorageError):
    """Base class of the errors raised by :class:`memory_storage_turso.TursoStorage`.

    ``url`` is the database's URL with any credential removed.
    """

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class StorageUnavailableError(TursoStorageError, ConnectionError):
    """Raised when the database cannot be reached or stays busy past the configured bound.

    Transient failures (connection refused, HTTP 5xx, ``database is locked``) are
    retried with bounded exponential backoff first; this is raised once the retry
    budget is spent, or at once for a request that timed out.
    """


class StorageAuthError(TursoStorageError, PermissionError):
    """Raised when a server refuses the auth token (missing, malformed, wrong key, expired)."""


class SchemaVersionError(TursoStorageError):
    """Raised by ``open()`` when the database was migrated by a newer version of this package.

    Older code never writes to a newer schema; upgrade ``memory-storage-turso`` instead.
    """

    def __init__(self, message: str, *, url: str, found: int, supported: int) -> None:
        super().__init__(message, url=url)
        self.found = found
        self.supported = supported


class StorageQueryError(TursoStorageError):
    """Raised when the database rejects a statement (constraint, corrupt file, bad request)."""
