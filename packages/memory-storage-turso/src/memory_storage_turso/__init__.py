"""Durable libSQL storage for the self-learning memory.

``TursoStorage`` implements :class:`memory_core.storage.StorageBackend` on an
embedded libSQL file (the default), ``:memory:``, or a sqld / Turso server over
Hrana-over-HTTP::

    from memory_core import SelfLearningMemory
    from memory_storage_turso import TursoStorage

    async with SelfLearningMemory(storage=TursoStorage("agent-memory.db")) as memory:
        ...

Beyond the protocol it offers lexical search (``search_text``, FTS5) and vector
search (``search_vectors``, optionally on a libSQL ANN index).
"""

from __future__ import annotations

from ._location import DB_URL_ENV as DB_URL_ENV
from ._location import TOKEN_ENV as TOKEN_ENV
from ._location import default_database_path as default_database_path
from ._schema import SCHEMA_VERSION as SCHEMA_VERSION
from ._vectors import SearchHit as SearchHit
from .errors import SchemaVersionError as SchemaVersionError
from .errors import StorageAuthError as StorageAuthError
from .errors import StorageQueryError as StorageQueryError
from .errors import StorageUnavailableError as StorageUnavailableError
from .errors import TursoStorageError as TursoStorageError
from .storage import TursoStorage as TursoStorage

__all__ = [
    "DB_URL_ENV",
    "SCHEMA_VERSION",
    "TOKEN_ENV",
    "SchemaVersionError",
    "SearchHit",
    "StorageAuthError",
    "StorageQueryError",
    "StorageUnavailableError",
    "TursoStorage",
    "TursoStorageError",
    "__version__",
    "default_database_path",
]

__version__ = "0.1.0"
