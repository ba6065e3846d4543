"""``TursoStorage``: the libSQL implementation of :class:`memory_core.storage.StorageBackend`."""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import AsyncIterator, Sequence

import httpx
import numpy as np
import numpy.typing as npt

from memory_core.errors import ValidationError
from memory_core.models import Episode
from memory_core.patterns import Heuristic, Pattern
from memory_core.storage import EmbeddingKind, EpisodeQuery

from . import _catalog, _episodes, _text, _vectors
from ._embedded import EmbeddedDatabase
from ._hrana import HranaClient
from ._location import Location, resolve_location
from ._remote import RemoteDatabase
from ._retry import Backoff
from ._schema import migrate
from ._sql import Database
from ._vectors import SearchHit
from .errors import TursoStorageError

__all__ = ["TursoStorage"]

_SYNCHRONOUS = ("normal", "full")


def _positive(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValidationError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


class TursoStorage:
    """Durable storage in libSQL: an embedded file, ``:memory:``, or a sqld/Turso server.

    Args:
        url: ``None`` (``$MEMORY_DB_URL``, else ``memory.db`` in the user's data
            directory), a path or ``file:`` URL, ``":memory:"``, or an
            ``http(s)://`` / ``libsql://`` server URL.
        auth_token: token for a server (else ``?authToken=`` in the URL, else
            ``$MEMORY_AUTH_TOKEN``). Never logged; redacted from messages and ``repr``.
        timeout: seconds a server may take to answer one request.
        connect_timeout: seconds to establish a connection to a server.
        retry_for: seconds spent retrying transient server failures (refused
            connections, 5xx, busy) before :class:`StorageUnavailableError`.
        busy_timeout: seconds an embedded file waits for another process's write
            lock before :class:`StorageUnavailableError`.
        synchronous: ``"normal"`` (default: WAL commits survive a crash of the
            process; an OS crash or power loss may drop the last commits, never
            corrupt) or ``"full"`` (fsync every commit).
        transport: an ``httpx`` transport for remote URLs (tests, proxies).

    The storage is an async context manager; ``open`` and ``close`` are idempotent
    and a closed storage can be opened again.
    """

    def __init__(
        self,
        url: str | os.PathLike[str] | None = None,
        *,
        auth_token: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 3.0,
        retry_for: float = 5.0,
        busy_timeout: float = 30.0,
        synchronous: str = "normal",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if synchronous not in _SYNCHRONOUS:
            raise ValidationError(
                f"synchronous must be one of {_SYNCHRONOUS}, got {synchronous!r}",
                field="synchronous",
            )
        self._location: Location = resolve_location(url, auth_token)
        location = self._location
        self._db: Database
        if location.kind == "remote":
            client = HranaClient(
                location.target,
                display=location.display,
                auth_token=location.auth_token,
                timeout=_positive("timeout", timeout),
                connect_timeout=_positive("connect_timeout", connect_timeout),
                transport=transport,
            )
            backoff = Backoff(_positive("retry_for", retry_for), first=0.05, cap=1.0)
            self._db = RemoteDatabase(client, backoff=backoff)
        else:
            backoff = Backoff(_positive("busy_timeout", busy_timeout), first=0.001, cap=0.05)
            self._db = EmbeddedDatabase(
                location.target, display=location.display, backoff=backoff, synchronous=synchronous
            )
        self._open = False

    @property
    def url(self) -> str:
        """Where the data lives: a file path, ``:memory:`` or the server URL (no credentials)."""
        return self._location.display

    @property
    def is_remote(self) -> bool:
        """True for a sqld/Turso server, False for an embedded file or ``:memory:``."""
        return self._location.kind == "remote"

    def __repr__(self) -> str:
        return f"TursoStorage({self.url!r}, {'open' if self._open else 'closed'})"

    async def __aenter__(self) -> TursoStorage:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect and create or migrate the schema. Idempotent.

        Raises :class:`StorageUnavailableError` when the database cannot be reached
        within the configured bounds, :class:`StorageAuthError` when a server refuses
        the token, :class:`SchemaVersionError` when the schema is newer than this code.
        """
        if self._open:
            return
        await self._db.connect()
        try:
            await migrate(self._db, self.url)
        except BaseException:
            await self._db.close()
            raise
        self._open = True

    async def close(self) -> None:
        """Release the connection (a file's WAL is checkpointed by libSQL). Idempotent."""
        self._open = False
        await self._db.close()

    def _ready(self) -> Database:
        if not self._open:
            raise TursoStorageError(
                f"{self!r} is not open; use `async with` or call open() first", url=self.url
            )
        return self._db

    # Episodes -------------------------------------------------------------
    async def put_episode(self, episode: Episode) -> None:
        """Insert or replace one episode (with its steps) in one transaction."""
        await _episodes.put_episodes(self._ready(), [episode])

    async def put_episodes(self, episodes: Sequence[Episode]) -> None:
        """Insert or replace many episodes atomically (one transaction)."""
        await _episodes.put_episodes(self._ready(), episodes)

    async def get_episode(self, episode_id: uuid.UUID) -> Episode | None:
        """The episode with this id, or None."""
        return await _episodes.get_episode(self._ready(), episode_id)

    async def get_episodes(self, episode_ids: Sequence[uuid.UUID]) -> list[Episode]:
        """The episodes with these ids, in the order asked; missing ids are skipped."""
        return await _episodes.get_episodes(self._ready(), episode_ids)

    async def delete_episode(self, episode_id: uuid.UUID) -> bool:
        """Delete an episode, its text index entry and its embeddings; True if it existed."""
        return await _episodes.delete_episode(self._ready(), episode_id)

    async def list_episodes(self, query: EpisodeQuery) -> list[Episode]:
        """Episodes matching ``query``, newest first, paged by limit/offset."""
        return await _episodes.list_episodes(self._ready(), query)

    async def count_episodes(self, *, completed: bool | None = None) -> int:
        """Number of stored episodes (all, completed only, or in progress only)."""
        return await _episodes.count_episodes(self._ready(), completed)

    async def iter_episodes(
        self, *, completed: bool | None = None, batch_size: int = 1000
    ) -> AsyncIterator[list[Episode]]:
        """Every stored episode in batches, oldest first."""
        async for batch in _episodes.iter_episodes(self._ready(), completed, batch_size):
            yield batch

    # Patterns and heuristics ------------------------------------------------
    async def put_patterns(self, patterns: Sequence[Pattern]) -> None:
        """Insert or replace patterns in one transaction."""
        await _catalog.PATTERNS.put(self._ready(), patterns)

    async def get_pattern(self, pattern_id: uuid.UUID) -> Pattern | None:
        """The pattern with this id, or None."""
        return await _catalog.PATTERNS.get(self._ready(), pattern_id)

    async def list_patterns(self, *, limit: int = 1000, offset: int = 0) -> list[Pattern]:
        """Stored patterns, ordered by id."""
        return await _catalog.PATTERNS.list(self._ready(), limit, offset)

    async def delete_pattern(self, pattern_id: uuid.UUID) -> bool:
        """Delete a pattern; True if it existed."""
        return await _catalog.PATTERNS.delete(self._ready(), pattern_id)

    async def count_patterns(self) -> int:
        """Number of stored patterns."""
        return await _catalog.PATTERNS.count(self._ready())

    async def put_heuristics(self, heuristics: Sequence[Heuristic]) -> None:
        """Insert or replace heuristics in one transaction."""
        await _catalog.HEURISTICS.put(self._ready(), heuristics)

    async def get_heuristic(self, heuristic_id: uuid.UUID) -> Heuristic | None:
        """The heuristic with this id, or None."""
        return await _catalog.HEURISTICS.get(self._ready(), heuristic_id)

    async def list_heuristics(self, *, limit: int = 1000, offset: int = 0) -> list[Heuristic]:
        """Stored heuristics, ordered by id."""
        return await _catalog.HEURISTICS.list(self._ready(), limit, offset)

    async def delete_heuristic(self, heuristic_id: uuid.UUID) -> bool:
        """Delete a heuristic; True if it existed."""
        return await _catalog.HEURISTICS.delete(self._ready(), heuristic_id)

    async def count_heuristics(self) -> int:
        """Number of stored heuristics."""
        return await _catalog.HEURISTICS.count(self._ready())

    # Embeddings and metadata ----------------------------------------------
    async def put_embeddings(
        self,
        kind: EmbeddingKind,
        model: str,
        items: Sequence[tuple[uuid.UUID, npt.NDArray[np.float32]]],
    ) -> None:
        """Store vectors computed by ``model`` for episodes or patterns."""
        await _vectors.put_embeddings(self._ready(), kind, model, items)

    async def get_embeddings(
        self, kind: EmbeddingKind, model: str, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, npt.NDArray[np.float32]]:
        """Stored vectors of ``model`` for these ids (missing ids are absent)."""
        return await _vectors.get_embeddings(self._ready(), kind, model, ids)

    async def get_metadata(self, key: str) -> str | None:
        """A metadata value, or None."""
        return await _catalog.get_metadata(self._ready(), key)

    async def set_metadata(self, key: str, value: str) -> None:
        """Set a metadata value."""
        await _catalog.set_metadata(self._ready(), key, value)

    # Search hooks (beyond the protocol) ---------------------------------------
    async def search_text(self, query: str, *, limit: int = 10) -> list[SearchHit]:
        """Episodes matching any word of ``query`` (FTS5, BM25-ranked, best first)."""
        return await _text.search_text(self._ready(), query, limit)

    async def refresh_text_index(self) -> int:
        """Bring the FTS5 index up to date now (``search_text`` does it lazily)."""
        return await _text.refresh_text_index(self._ready())

    async def search_vectors(
        self, kind: EmbeddingKind, model: str, query: npt.ArrayLike, k: int = 10
    ) -> list[SearchHit]:
        """The ``k`` stored vectors of ``model`` nearest to ``query`` (cosine, best first).

        Uses the libSQL ANN index when :meth:`create_vector_index` built one for
        this (kind, model, dimension), else an exact scan inside the database.
        """
        return await _vectors.search_vectors(self._ready(), kind, model, query, k)

    async def create_vector_index(self, kind: EmbeddingKind, model: str, dim: int) -> None:
        """Build a ``libsql_vector_idx`` (DiskANN) index for one model's vectors. Idempotent."""
        await _vectors.create_vector_index(self._ready(), kind, model, dim)
