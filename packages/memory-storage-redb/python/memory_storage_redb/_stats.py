"""``CacheStats``: the counters a :class:`memory_storage_redb.RedbCache` reports."""

from __future__ import annotations

import msgspec

__all__ = ["CacheStats"]


class CacheStats(msgspec.Struct, frozen=True, kw_only=True):
    """Counters of one :class:`RedbCache` since it was created.

    ``hits`` and ``misses`` count single-record lookups (episodes, patterns,
    heuristics, embeddings, metadata); ``expired`` counts misses caused by the
    TTL; ``evictions`` counts entries removed for capacity.
    """

    hits: int
    misses: int
    expired: int
    evictions: int
    path: str
    fallback: bool

    @property
    def hit_rate(self) -> float:
        """Hits over lookups, 0.0 before the first lookup."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0
