"""``RedbCache``: the storage protocol as a redb-backed cache.

Each async method runs one redb transaction in a worker thread
(``anyio.to_thread.run_sync``). Records are encoded before a write transaction
begins, so an unencodable record raises ``TypeError`` and writes nothing.
redb's errors are mapped onto :class:`memory_core.errors.StorageError`.

Damage is never served: an entry that fails its checksum or does not decode
to a record of its key reads as a miss, is dropped, and is logged (one warning
per read). A file redb cannot open, or that fails with corruption at runtime,
is moved aside and replaced by an empty cache (see :mod:`._opening`);
:attr:`RedbCache.rebuilds` counts those replacements so a tiered store can
refill the new file.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import anyio
import numpy as np
import numpy.typing as npt

from memory_core.codec import decode_episode, decode_heuristic, decode_pattern, encode_msgpack
from memory_core.errors import StorageError, ValidationError
from memory_core.models import Episode
from memory_core.patterns import Heuristic, Pattern
from memory_core.storage import EmbeddingKind, EpisodeQuery

from ._opening import close_quietly, is_panic, open_cache_file, replace_damaged_file
from ._records import (
    CorruptEntryError,
    decode_envelope,
    embedding_key,
    embedding_key_id,
    embedding_kind_prefix,
    encode_envelope,
)
from ._redb import (
    CorruptedError,
    Database,
    ReadTransaction,
    RedbError,
    RedbStorageError,
    Table,
    ValueTooLargeError,
    WriteTransaction,
)
from ._stats import CacheStats

__all__ = ["CacheStats", "RedbCache"]

T = TypeVar("T")
R = TypeVar("R")

logger = logging.getLogger("memory_storage_redb")

#: Entries found damaged during one read: ``(key, stored bytes)``, dropped afterwards.
Damaged = list[tuple[bytes, bytes]]

EPISODES, PATTERNS, HEURISTICS, EMBEDDINGS, METADATA = (
    "episodes",
    "patterns",
    "heuristics",
    "embeddings",
    "metadata",
)
_TABLES = (EPISODES, PATTERNS, HEURISTICS, EMBEDDINGS, METADATA)


class RedbCache:
    """A cache of the memory's records in one redb file.

    ``ttl`` (seconds, None = forever) makes older entries read as misses;
    ``capacity`` bounds the entries per table (None = unbounded), evicting the
    oldest-written tenth when exceeded. ``clock`` returns Unix seconds (tests).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        ttl: float | None = None,
        capacity: int | None = 100_000,
        durability: Literal["immediate", "none"] = "immediate",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl is not None and ttl <= 0:
            raise ValueError(f"ttl must be positive seconds or None, got {ttl!r}")
        if capacity is not None and capacity < 1:
            raise ValueError(f"capacity must be at least 1 or None, got {capacity!r}")
        self._path = Path(path)
        self._ttl = ttl
        self._capacity = capacity
        self._durability: Literal["immediate", "none"] = durability
        self._clock = clock
        self._db: Database | None = None
        self._active_path = self._path
        self._fallback = False
        self._hits = self._misses = self._expired = self._evictions = 0
        self._rebuilds = 0
        self._file_damaged = False
        # After an I/O error (disk full, file size limit) redb refuses every later call on
        # that handle until it is reopened; the file itself is fine.
        self._io_failed = False

    def __repr__(self) -> str:
        state = "open" if self._db is not None else "closed"
        return f"RedbCache({str(self._active_path)!r}, {state})"

    async def __aenter__(self) -> RedbCache:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # Lifecycle --------------------------------------------------------------
    @property
    def path(self) -> Path:
        """The file in use: the configured path, or the per-process fallback file."""
        return self._active_path

    @property
    def rebuilds(self) -> int:
        """How often a damaged cache file was moved aside and replaced by an empty one."""
        return self._rebuilds

    def stats(self) -> CacheStats:
        """Hit, miss, expiry and eviction counters."""
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            expired=self._expired,
            evictions=self._evictions,
            path=str(self._active_path),
            fallback=self._fallback,
        )

    async def open(self) -> None:
        """Open the file and create the tables. Idempotent.

        If another process holds the file, log one warning and use ``path.<pid>``.
        A file found damaged (now, or by an earlier operation of this cache) is
        moved aside and replaced by an empty one, counted in :attr:`rebuilds`; after
        an I/O error (disk full) the same file is reopened.
        """
        if self._db is not None and not self._file_damaged and not self._io_failed:
            return
        previous, self._db = self._db, None
        replace = previous is not None and self._file_damaged
        if previous is not None:
            await anyio.to_thread.run_sync(close_quietly, previous)
            if not replace:
                logger.info("reopening redb cache %s after an I/O error", self._active_path)
        self._db = await anyio.to_thread.run_sync(self._open_sync, replace)
        self._file_damaged = False
        self._io_failed = False

    def _open_sync(self, replace: bool) -> Database:
        path = self._active_path if replace else self._path
        opened = open_cache_file(path, self._durability, _TABLES, replace=replace)
        if not replace:
            self._active_path, self._fallback = opened.path, opened.fallback
        if opened.moved_aside is not None:
            self._rebuilds += 1
        return opened.database

    async def close(self) -> None:
        """Close the file (removing a private fallback file). Idempotent.

        A file found damaged at runtime is moved aside now, so the next open
        starts from an empty cache instead of failing on the same pages again.
        """
        db, self._db = self._db, None
        if db is None:
            return
        damaged, self._file_damaged = self._file_damaged, False

        def close_sync() -> None:
            if damaged:
                close_quietly(db)
            else:
                db.close()
            if self._fallback:
                self._active_path.unlink(missing_ok=True)
            elif damaged:
                try:
                    replace_damaged_file(self._active_path, "damaged at runtime")
                except OSError as exc:
                    raise StorageError(f"cannot move damaged cache {self._active_path}") from exc

        await anyio.to_thread.run_sync(close_sync)

    # Plumbing -----------------------------------------------------------------
    def _require(self) -> Database:
        if self._db is None:
            raise StorageError(f"RedbCache {self._path} is closed")
        return self._db

    async def _read(self, fn: Callable[[ReadTransaction], T]) -> T:
        db = self._require()

        def run() -> T:
            with db.begin_read() as txn:
                return fn(txn)

        return await self._run(run)

    async def _write(self, fn: Callable[[WriteTransaction], T]) -> T:
        db = self._require()

        def run() -> T:
            with db.begin_write() as txn:
                return fn(txn)

        return await self._run(run)

    async def _run(self, fn: Callable[[], T]) -> T:
        try:
            return await anyio.to_thread.run_sync(fn)
        except RedbError as exc:
            if isinstance(exc, CorruptedError):
                self._file_damaged = True
            elif isinstance(exc, RedbStorageError) and not isinstance(exc, ValueTooLargeError):
                self._io_failed = True
            raise StorageError(f"redb cache operation failed: {exc}") from exc
        except BaseException as exc:
            if not is_panic(exc):
                raise
            # redb panics on some damaged pages; the next open() replaces the file.
            self._file_damaged = True
            raise StorageError(f"redb cache {self._active_path} is damaged: {exc}") from exc

    def _payload(self, key: bytes, data: bytes | None, damaged: Damaged) -> bytes | None:
        """The payload of a live entry, or None (absent, other schema, expired or damaged)."""
        if data is None:
            return None
        try:
            envelope = decode_envelope(data, key)
        except CorruptEntryError:
            damaged.append((key, data))
            return None
        if envelope is None:
            return None
        if self._ttl is not None and self._clock() - envelope.stored_at > self._ttl:
            self._expired += 1
            return None
        return envelope.payload

    def _live(
        self, pairs: list[tuple[bytes, bytes]], damaged: Damaged
    ) -> list[tuple[bytes, bytes]]:
        """``(key, payload)`` of the pairs that are neither stale, expired nor damaged."""
        now = self._clock()
        live = []
        for key, data in pairs:
            try:
                envelope = decode_envelope(data, key)
            except CorruptEntryError:
                damaged.append((key, data))
                continue
            if envelope is None:
                continue
            if self._ttl is not None and now - envelope.stored_at > self._ttl:
                continue
            live.append((key, envelope.payload))
        return live

    def _record(
        self,
        decode: Callable[..., R],
        key: bytes,
        payload: bytes | None,
        data: bytes | None,
        damaged: Damaged,
    ) -> R | None:
        """Decode the record under ``key``; a record that does not decode, or is another
        record than its key says, is damage (a checksum cannot catch a bad writer)."""
        if payload is None or data is None:
            return None
        if len(key) != 16:
            damaged.append((key, data))
            return None
        record_id = uuid.UUID(bytes=key)
        try:
            record: Any = decode(payload, record_id=record_id)
        except ValidationError:
            damaged.append((key, data))
            return None
        if record.id != record_id:
            damaged.append((key, data))
            return None
        result: R = record
        return result

    def _count_lookup(self, found: bool) -> None:
        if found:
            self._hits += 1
        else:
            self._misses += 1

    async def _drop_damaged(self, table: str, damaged: Damaged) -> None:
        """Remove damaged entries (unless rewritten meanwhile) and say so once."""
        if not damaged:
            return
        logger.warning(
            "redb cache %s: %d damaged %s entr%s read as misses and dropped",
            self._active_path,
            len(damaged),
            table,
            "y" if len(damaged) == 1 else "ies",
        )

        def write(txn: WriteTransaction) -> None:
            handle = txn.open_table(table)
            for key, data in damaged:
                if handle.get(key) == data:
                    handle.remove(key)

        await self._write(write)

    async def _get_records(
        self, table: str, decode: Callable[..., R], ids: Sequence[uuid.UUID]
    ) -> list[R | None]:
        """Records under ``ids`` (None for misses), counting hits and misses."""
        if not ids:
            return []

        def read(txn: ReadTransaction) -> list[bytes | None]:
            handle = txn.open_table(table)
            return [handle.get(item.bytes) for item in ids]

        found = await self._read(read)
        damaged: Damaged = []
        records: list[R | None] = []
        for item, data in zip(ids, found, strict=True):
            key = item.bytes
            record = self._record(decode, key, self._payload(key, data, damaged), data, damaged)
            self._count_lookup(record is not None)
            records.append(record)
        await self._drop_damaged(table, damaged)
        return records

    async def _all_records(self, table: str, decode: Callable[..., R]) -> list[R]:
        """Every live record of ``table`` in key order; damaged ones dropped."""
        pairs = await self._read(lambda txn: txn.open_table(table).range())
        stored = dict(pairs)
        damaged: Damaged = []
        records = []
        for key, payload in self._live(pairs, damaged):
            record = self._record(decode, key, payload, stored[key], damaged)
            if record is not None:
                records.append(record)
        await self._drop_damaged(table, damaged)
        return records

    def _put_many(self, table: str, items: list[tuple[bytes, bytes]]) -> None:
        """Write encoded ``(key, payload)`` items, then evict over capacity; one transaction."""
        now = self._clock()

        def write(txn: WriteTransaction) -> int:
            handle = txn.open_table(table)
            for key, payload in items:
                handle.insert(key, encode_envelope(payload, now, key))
            return self._evict(handle)

        if items:
            self._evictions += self._write_sync(write)

    def _write_sync(self, fn: Callable[[WriteTransaction], T]) -> T:
        with self._require().begin_write() as txn:
            return fn(txn)

    def _evict(self, handle: Table) -> int:
        if self._capacity is None or len(handle) <= self._capacity:
            return 0
        target = self._capacity - max(1, self._capacity // 10)
        aged = []
        for key, data in handle.range():
            try:
                envelope = decode_envelope(data, key)
            except CorruptEntryError:
                envelope = None  # damaged entries go first
            aged.append((envelope.stored_at if envelope is not None else float("-inf"), key))
        aged.sort()
        doomed = aged[: len(aged) - target]
        for _, key in doomed:
            handle.remove(key)
        return len(doomed)

    async def _put(self, table: str, items: list[tuple[bytes, bytes]]) -> None:
        self._require()
        await self._run(lambda: self._put_many(table, items))

    # Episodes -------------------------------------------------------------
    async def put_episode(self, episode: Episode) -> None:
        """Insert or replace one episode."""
        await self.put_episodes([episode])

    async def put_episodes(self, episodes: Sequence[Episode]) -> None:
        """Insert or replace episodes in one transaction; all encoded before any is written."""
        items = [(episode.id.bytes, encode_msgpack(episode)) for episode in episodes]
        await self._put(EPISODES, items)

    async def get_episode(self, episode_id: uuid.UUID) -> Episode | None:
        """The cached episode, or None (a miss)."""
        return (await self._get_records(EPISODES, decode_episode, [episode_id]))[0]

    async def get_episodes(self, episode_ids: Sequence[uuid.UUID]) -> list[Episode]:
        """Cached episodes in the order asked; misses skipped."""
        found = await self._get_records(EPISODES, decode_episode, episode_ids)
        return [episode for episode in found if episode is not None]

    async def delete_episode(self, episode_id: uuid.UUID) -> bool:
        """Drop an episode and its embeddings; True if it was cached."""
        start, end = embedding_kind_prefix("episode")

        def write(txn: WriteTransaction) -> bool:
            existed = txn.open_table(EPISODES).remove(episode_id.bytes) is not None
            embeddings = txn.open_table(EMBEDDINGS)
            for key, _ in embeddings.range(start, end):
                if embedding_key_id(key) == episode_id:
                    embeddings.remove(key)
            return existed

        return await self._write(write)

    async def _cached_episodes(self, completed: bool | None) -> list[Episode]:
        episodes = await self._all_records(EPISODES, decode_episode)
        if completed is None:
            return episodes
        return [episode for episode in episodes if episode.is_completed == completed]

    async def list_episodes(self, query: EpisodeQuery) -> list[Episode]:
        """Cached episodes matching ``query``, newest first, paged."""
        matching = [e for e in await self._cached_episodes(None) if query.matches(e)]
        matching.sort(key=lambda e: (e.started_at, e.id.bytes), reverse=True)
        return matching[query.offset : query.offset + query.limit]

    async def count_episodes(self, *, completed: bool | None = None) -> int:
        """Number of cached (live) episodes; only a filtered count decodes them."""
        if completed is None:
            return await self._count(EPISODES)
        return len(await self._cached_episodes(completed))

    async def iter_episodes(
        self, *, completed: bool | None = None, batch_size: int = 1000
    ) -> AsyncIterator[list[Episode]]:
        """Cached episodes in batches, oldest first."""
        episodes = await self._cached_episodes(completed)
        episodes.sort(key=lambda e: (e.started_at, e.id.bytes))
        for start in range(0, len(episodes), batch_size):
            yield episodes[start : start + batch_size]
            await anyio.lowlevel.checkpoint()

    # Patterns and heuristics ------------------------------------------------
    async def put_patterns(self, patterns: Sequence[Pattern]) -> None:
        """Insert or replace patterns."""
        await self._put(PATTERNS, [(p.id.bytes, encode_msgpack(p)) for p in patterns])

    async def get_pattern(self, pattern_id: uuid.UUID) -> Pattern | None:
        """The cached pattern, or None."""
        return (await self._get_records(PATTERNS, decode_pattern, [pattern_id]))[0]

    async def list_patterns(self, *, limit: int = 1000, offset: int = 0) -> list[Pattern]:
        """Cached patterns ordered by id."""
        return (await self._all_records(PATTERNS, decode_pattern))[offset : offset + limit]

    async def _delete(self, table: str, key: bytes) -> bool:
        return await self._write(lambda txn: txn.open_table(table).remove(key) is not None)

    async def delete_pattern(self, pattern_id: uuid.UUID) -> bool:
        """Drop a pattern; True if it was cached."""
        return await self._delete(PATTERNS, pattern_id.bytes)

    async def _count(self, table: str) -> int:
        pairs = await self._read(lambda txn: txn.open_table(table).range())
        damaged: Damaged = []
        count = len(self._live(pairs, damaged))
        await self._drop_damaged(table, damaged)
        return count

    async def count_patterns(self) -> int:
        """Number of cached patterns."""
        return await self._count(PATTERNS)

    async def put_heuristics(self, heuristics: Sequence[Heuristic]) -> None:
        """Insert or replace heuristics."""
        await self._put(HEURISTICS, [(h.id.bytes, encode_msgpack(h)) for h in heuristics])

    async def get_heuristic(self, heuristic_id: uuid.UUID) -> Heuristic | None:
        """The cached heuristic, or None."""
        return (await self._get_records(HEURISTICS, decode_heuristic, [heuristic_id]))[0]

    async def list_heuristics(self, *, limit: int = 1000, offset: int = 0) -> list[Heuristic]:
        """Cached heuristics ordered by id."""
        return (await self._all_records(HEURISTICS, decode_heuristic))[offset : offset + limit]

    async def delete_heuristic(self, heuristic_id: uuid.UUID) -> bool:
        """Drop a heuristic; True if it was cached."""
        return await self._delete(HEURISTICS, heuristic_id.bytes)

    async def count_heuristics(self) -> int:
        """Number of cached heuristics."""
        return await self._count(HEURISTICS)

    # Embeddings and metadata ----------------------------------------------
    async def put_embeddings(
        self,
        kind: EmbeddingKind,
        model: str,
        items: Sequence[tuple[uuid.UUID, npt.NDArray[np.float32]]],
    ) -> None:
        """Cache float32 vectors of ``model``."""
        encoded = [
            (embedding_key(kind, model, item_id), np.asarray(vector, np.float32).tobytes())
            for item_id, vector in items
        ]
        await self._put(EMBEDDINGS, encoded)

    async def get_embeddings(
        self, kind: EmbeddingKind, model: str, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, npt.NDArray[np.float32]]:
        """Cached vectors for these ids (misses absent)."""
        keys = [embedding_key(kind, model, item_id) for item_id in ids]

        def read(txn: ReadTransaction) -> list[bytes | None]:
            table = txn.open_table(EMBEDDINGS)
            return [table.get(key) for key in keys]

        found = await self._read(read) if keys else []
        vectors: dict[uuid.UUID, npt.NDArray[np.float32]] = {}
        damaged: Damaged = []
        for item_id, key, data in zip(ids, keys, found, strict=True):
            payload = self._payload(key, data, damaged)
            if payload is not None and len(payload) % 4 != 0:
                damaged.append((key, data or b""))
                payload = None
            self._count_lookup(payload is not None)
            if payload is not None:
                vectors[item_id] = np.frombuffer(payload, dtype=np.float32).copy()
        await self._drop_damaged(EMBEDDINGS, damaged)
        return vectors

    async def get_metadata(self, key: str) -> str | None:
        """A cached metadata value, or None."""
        raw = key.encode("utf-8", "surrogatepass")
        data = await self._read(lambda txn: txn.open_table(METADATA).get(raw))
        damaged: Damaged = []
        payload = self._payload(raw, data, damaged)
        value = None
        if payload is not None:
            try:
                value = payload.decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                damaged.append((raw, data or b""))
        self._count_lookup(value is not None)
        await self._drop_damaged(METADATA, damaged)
        return value

    async def set_metadata(self, key: str, value: str) -> None:
        """Cache a metadata value."""
        item = (key.encode("utf-8", "surrogatepass"), value.encode("utf-8", "surrogatepass"))
        await self._put(METADATA, [item])
