"""Storage: the protocol backends implement, and the in-memory backend."""

from .in_memory import InMemoryStorage as InMemoryStorage
from .protocol import EmbeddingKind as EmbeddingKind
from .protocol import EpisodeQuery as EpisodeQuery
from .protocol import SearchableStorage as SearchableStorage
from .protocol import StorageBackend as StorageBackend
from .tiered import SyncReport as SyncReport
from .tiered import TieredStorage as TieredStorage

__all__ = [
    "EmbeddingKind",
    "EpisodeQuery",
    "InMemoryStorage",
    "SearchableStorage",
    "StorageBackend",
]
