"""A durable store with a cache in front: write-through, read-through, durable wins.

- Writes go to the durable store first; its errors propagate. The cache is
  written after; a cache error is logged once and the cache is bypassed until
  :meth:`TieredStorage.sync_memories` has reconciled it, so a failed cache
  write can never serve a stale record or fail (or lose) a durable write.
- Point reads try the cache and fill it from the durable store on a miss.
  Listing, counting and iteration always ask the durable store (a cache holds
  only part of the data).
- :meth:`TieredStorage.sync_memories` makes the cache agree with the durable
  store (the durable store wins) and reports what it changed.
- A cache record that does not decode (:class:`~memory_core.codec.RecordDecodeError`)
  is a miss, not a broken cache: the read goes to the durable store and the
  refill overwrites the damaged entry, with the cache left on.
- A cache that replaced a damaged file with an empty one (it counts those in a
  ``rebuilds`` attribute, as :class:`memory_storage_redb.RedbCache` does) is
  refilled by :meth:`TieredStorage.warm` after ``open()`` or ``sync_memories()``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

import msgspec
import numpy as np
import numpy.typing as npt

from ..codec import RecordDecodeError, encode_msgpack
from ..models import Episode
from ..patterns import Heuristic, Pattern
from .protocol import EmbeddingKind, EpisodeQuery, StorageBackend

__all__ = ["SyncReport", "TieredStorage"]

logger = logging.getLogger("memory_core.storage")
T = TypeVar("T")
_BATCH = 1000


class SyncReport(msgspec.Struct, frozen=True, kw_only=True):
    """What :meth:`TieredStorage.sync_memories` found and changed in the cache."""

    checked: int = 0
    refreshed: int = 0
    removed: int = 0
    cache_enabled: bool = True


class TieredStorage:
    """``durable`` (source of truth) plus ``cache`` (fast, possibly partial or stale).

    ``warm_limit`` bounds how many of the newest episodes (and how many patterns
    and heuristics) :meth:`warm` copies into a rebuilt cache.
    """

    def __init__(
        self, durable: StorageBackend, cache: StorageBackend, *, warm_limit: int = 1000
    ) -> None:
        if warm_limit < 0:
            raise ValueError(f"warm_limit must be >= 0, got {warm_limit!r}")
        self.durable = durable
        self.cache = cache
        self.warm_limit = warm_limit
        self._rebuilds_seen = 0
        self._cache_ok = True
        self.hits = 0
        self.misses = 0
        self.cache_errors = 0

    def __repr__(self) -> str:
        state = "on" if self._cache_ok else "bypassed"
        return f"TieredStorage(durable={self.durable!r}, cache={self.cache!r}, cache {state})"

    async def __aenter__(self) -> TieredStorage:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # Cache guard -----------------------------------------------------------
    async def _cached(self, call: Callable[[], Awaitable[T]], default: T) -> T:
        if not self._cache_ok:
            return default
        try:
            return await call()
        except RecordDecodeError as exc:
            # One damaged entry: answer from the durable store, whose refill overwrites it.
            self.cache_errors += 1
            logger.warning(
                "cache %r returned a damaged record (%s); reading it from %r",
                self.cache,
                exc,
                self.durable,
            )
            return default
        except Exception as exc:  # the cache must never take the durable path down
            self._cache_ok = False
            self.cache_errors += 1
            logger.warning(
                "cache %r failed (%s); bypassing it until sync_memories()", self.cache, exc
            )
            return default

    async def open(self) -> None:
        """Open the durable store (errors propagate), then the cache (errors bypass it)."""
        await self.durable.open()
        await self._cached(self.cache.open, None)
        await self._refill_if_rebuilt()

    async def _refill_if_rebuilt(self) -> None:
        rebuilds = getattr(self.cache, "rebuilds", 0)
        if not isinstance(rebuilds, int) or rebuilds <= self._rebuilds_seen:
            return
        self._rebuilds_seen = rebuilds
        if not self._cache_ok:
            return
        try:
            written = await self.warm()
        except Exception as exc:  # warming is an optimisation; reads still go through
            logger.warning("could not refill the rebuilt cache %r: %s", self.cache, exc)
            return
        logger.info("refilled the rebuilt cache %r with %d records", self.cache, written)

    async def warm(self, *, limit: int | None = None) -> int:
        """Copy the newest episodes, and patterns and heuristics, into the cache.

        At most ``limit`` (default :attr:`warm_limit`) of each. Returns how many
        records were written; 0 when the cache is bypassed. Errors of the durable
        store propagate; a cache error bypasses the cache as on any write.
        """
        count = self.warm_limit if limit is None else limit
        if count <= 0 or not self._cache_ok:
            return 0
        episodes = await self.durable.list_episodes(EpisodeQuery(limit=count))
        patterns = await self.durable.list_patterns(limit=count)
        heuristics = await self.durable.list_heuristics(limit=count)

        async def fill() -> int:
            if episodes:
                await self.cache.put_episodes(episodes)
            if patterns:
                await self.cache.put_patterns(patterns)
            if heuristics:
                await self.cache.put_heuristics(heuristics)
            return len(episodes) + len(patterns) + len(heuristics)

        return await self._cached(fill, 0)

    async def close(self) -> None:
        """Close both; a cache error on close is logged, never raised."""
        try:
            await self.durable.close()
        finally:
            try:
                await self.cache.close()
            except Exception as exc:
                logger.warning("closing cache %r failed: %s", self.cache, exc)

    # Episodes -------------------------------------------------------------
    async def put_episode(self, episode: Episode) -> None:
        """Write through: durable, then cache."""
        await self.put_episodes([episode])

    async def put_episodes(self, episodes: Sequence[Episode]) -> None:
        """Write through: durable, then cache."""
        await self.durable.put_episodes(episodes)
        await self._cached(lambda: self.cache.put_episodes(episodes), None)

    async def get_episode(self, episode_id: uuid.UUID) -> Episode | None:
        """Read through: the cache, else the durable store (and fill the cache)."""
        found = await self.get_episodes([episode_id])
        return found[0] if found else None

    async def get_episodes(self, episode_ids: Sequence[uuid.UUID]) -> list[Episode]:
        """Read through for many ids, in the order asked; missing ids skipped."""
        none: list[Episode] = []
        cached = await self._cached(lambda: self.cache.get_episodes(episode_ids), none)
        by_id = {episode.id: episode for episode in cached}
        missing = [episode_id for episode_id in episode_ids if episode_id not in by_id]
        self.hits += len(episode_ids) - len(missing)
        self.misses += len(missing)
        if missing:
            fetched = await self.durable.get_episodes(missing)
            if fetched:
                await self._cached(lambda: self.cache.put_episodes(fetched), None)
            by_id.update({episode.id: episode for episode in fetched})
        return [by_id[episode_id] for episode_id in episode_ids if episode_id in by_id]

    async def delete_episode(self, episode_id: uuid.UUID) -> bool:
        """Delete from the durable store, then from the cache."""
        existed = await self.durable.delete_episode(episode_id)
        await self._cached(lambda: self.cache.delete_episode(episode_id), False)
        return existed

    async def list_episodes(self, query: EpisodeQuery) -> list[Episode]:
        """Always answered by the durable store."""
        return await self.durable.list_episodes(query)

    async def count_episodes(self, *, completed: bool | None = None) -> int:
        """Always answered by the durable store."""
        return await self.durable.count_episodes(completed=completed)

    async def iter_episodes(
        self, *, completed: bool | None = None, batch_size: int = 1000
    ) -> AsyncIterator[list[Episode]]:
        """Always answered by the durable store."""
        async for batch in self.durable.iter_episodes(completed=completed, batch_size=batch_size):
            yield batch

    # Patterns and heuristics ------------------------------------------------
    async def put_patterns(self, patterns: Sequence[Pattern]) -> None:
        """Write through."""
        await self.durable.put_patterns(patterns)
        await self._cached(lambda: self.cache.put_patterns(patterns), None)

    async def get_pattern(self, pattern_id: uuid.UUID) -> Pattern | None:
        """Read through."""
        found = await self._cached(lambda: self.cache.get_pattern(pattern_id), None)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        found = await self.durable.get_pattern(pattern_id)
        if found is not None:
            pattern = found
            await self._cached(lambda: self.cache.put_patterns([pattern]), None)
        return found

    async def list_patterns(self, *, limit: int = 1000, offset: int = 0) -> list[Pattern]:
        """Always answered by the durable store."""
        return await self.durable.list_patterns(limit=limit, offset=offset)

    async def delete_pattern(self, pattern_id: uuid.UUID) -> bool:
        """Delete from both."""
        existed = await self.durable.delete_pattern(pattern_id)
        await self._cached(lambda: self.cache.delete_pattern(pattern_id), False)
        return existed

    async def count_patterns(self) -> int:
        """Always answered by the durable store."""
        return await self.durable.count_patterns()

    async def put_heuristics(self, heuristics: Sequence[Heuristic]) -> None:
        """Write through."""
        await self.durable.put_heuristics(heuristics)
        await self._cached(lambda: self.cache.put_heuristics(heuristics), None)

    async def get_heuristic(self, heuristic_id: uuid.UUID) -> Heuristic | None:
        """Read through."""
        found = await self._cached(lambda: self.cache.get_heuristic(heuristic_id), None)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        found = await self.durable.get_heuristic(heuristic_id)
        if found is not None:
            heuristic = found
            await self._cached(lambda: self.cache.put_heuristics([heuristic]), None)
        return found

    async def list_heuristics(self, *, limit: int = 1000, offset: int = 0) -> list[Heuristic]:
        """Always answered by the durable store."""
        return await self.durable.list_heuristics(limit=limit, offset=offset)

    async def delete_heuristic(self, heuristic_id: uuid.UUID) -> bool:
        """Delete from both."""
        existed = await self.durable.delete_heuristic(heuristic_id)
        await self._cached(lambda: self.cache.delete_heuristic(heuristic_id), False)
        return existed

    async def count_heuristics(self) -> int:
        """Always answered by the durable store."""
        return await self.durable.count_heuristics()

    # Embeddings and metadata ----------------------------------------------
    async def put_embeddings(
        self,
        kind: EmbeddingKind,
        model: str,
        items: Sequence[tuple[uuid.UUID, npt.NDArray[np.float32]]],
    ) -> None:
        """Write through."""
        await self.durable.put_embeddings(kind, model, items)
        await self._cached(lambda: self.cache.put_embeddings(kind, model, items), None)

    async def get_embeddings(
        self, kind: EmbeddingKind, model: str, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, npt.NDArray[np.float32]]:
        """Read through; vectors missing from the cache are fetched and filled."""
        empty: dict[uuid.UUID, npt.NDArray[np.float32]] = {}
        found = await self._cached(lambda: self.cache.get_embeddings(kind, model, ids), empty)
        missing = [item for item in ids if item not in found]
        self.hits += len(ids) - len(missing)
        self.misses += len(missing)
        if missing:
            fetched = await self.durable.get_embeddings(kind, model, missing)
            if fetched:
                items = list(fetched.items())
                await self._cached(lambda: self.cache.put_embeddings(kind, model, items), None)
            found.update(fetched)
        return found

    async def get_metadata(self, key: str) -> str | None:
        """Always answered by the durable store (metadata is small and rarely read)."""
        return await self.durable.get_metadata(key)

    async def set_metadata(self, key: str, value: str) -> None:
        """Write through."""
        await self.durable.set_metadata(key, value)
        await self._cached(lambda: self.cache.set_metadata(key, value), None)

    # Reconciliation ----------------------------------------------------------
    async def sync_memories(self) -> SyncReport:
        """Make the cache agree with the durable store (durable wins); re-enables the cache.

        Every cached episode, pattern and heuristic is compared with the durable
        record: stale ones are rewritten, ones the durable store no longer has
        are removed. Records the cache does not hold are left to read-through.
        """
        checked = refreshed = removed = 0
        try:
            # Reopened while still bypassed: a concurrent write must not reach a cache
            # that is between handles (and turn it off again) during the reopen.
            await self.cache.open()
            self._cache_ok = True
            await self._refill_if_rebuilt()
            async for cached in self.cache.iter_episodes(batch_size=_BATCH):
                ids = [episode.id for episode in cached]
                truth = {e.id: e for e in await self.durable.get_episodes(ids)}
                stale = [
                    truth[e.id]
                    for e in cached
                    if e.id in truth and encode_msgpack(e) != encode_msgpack(truth[e.id])
                ]
                gone = [e.id for e in cached if e.id not in truth]
                checked += len(cached)
                if stale:
                    await self.cache.put_episodes(stale)
                for episode_id in gone:
                    await self.cache.delete_episode(episode_id)
                refreshed += len(stale)
                removed += len(gone)
            for kind in ("pattern", "heuristic"):
                report = await self._sync_records(kind)
                checked, refreshed, removed = (
                    checked + report[0],
                    refreshed + report[1],
                    removed + report[2],
                )
        except Exception as exc:
            self._cache_ok = False
            self.cache_errors += 1
            logger.warning("sync_memories could not repair cache %r: %s", self.cache, exc)
        return SyncReport(
            checked=checked, refreshed=refreshed, removed=removed, cache_enabled=self._cache_ok
        )

    async def _sync_records(self, kind: str) -> tuple[int, int, int]:
        cache, durable = self.cache, self.durable
        lister = cache.list_patterns if kind == "pattern" else cache.list_heuristics
        cached: list[Pattern | Heuristic] = []
        offset = 0
        while batch := await lister(limit=_BATCH, offset=offset):
            cached.extend(batch)
            offset += len(batch)
        refreshed = removed = 0
        for record in cached:
            if kind == "pattern":
                truth: Pattern | Heuristic | None = await durable.get_pattern(record.id)
            else:
                truth = await durable.get_heuristic(record.id)
            if truth is None:
                if kind == "pattern":
                    await cache.delete_pattern(record.id)
                else:
                    await cache.delete_heuristic(record.id)
                removed += 1
            elif encode_msgpack(truth) != encode_msgpack(record):
                if isinstance(truth, Heuristic):
                    await cache.put_heuristics([truth])
                else:
                    await cache.put_patterns([truth])
                refreshed += 1
        return len(cached), refreshed, removed
