"""The storage protocol every backend implements (in-memory, libSQL, redb, tiered).

All methods are async. Backends that do blocking I/O run it in worker threads
(``anyio.to_thread``) so neither trio nor asyncio is ever blocked. Writes of a
batch are atomic where the backend supports transactions. Backends raise
:class:`memory_core.errors.StorageError` (or a subclass) for failures and never
leak their native exceptions.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

import msgspec
import numpy as np
import numpy.typing as npt

from ..models import Episode, OutcomeStatus
from ..patterns import Heuristic, Pattern

__all__ = ["EmbeddingKind", "EpisodeQuery", "SearchableStorage", "StorageBackend"]

EmbeddingKind = Literal["episode", "pattern"]


class EpisodeQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Filters for listing episodes; results are newest first (``started_at`` descending).

    ``tags`` matches episodes carrying every listed tag (episode or context tags).
    ``completed`` selects finished (True) or in-progress (False) episodes.
    """

    domain: str | None = None
    tags: tuple[str, ...] = ()
    outcome: OutcomeStatus | None = None
    since: datetime | None = None
    until: datetime | None = None
    completed: bool | None = None
    limit: int = 100
    offset: int = 0

    def matches(self, episode: Episode) -> bool:
        """True when ``episode`` passes every filter (limit/offset aside)."""
        if self.domain is not None and episode.context.domain != self.domain:
            return False
        if self.tags:
            present = set(episode.tags) | set(episode.context.tags)
            if not present.issuperset(self.tags):
                return False
        if self.outcome is not None and (
            episode.outcome is None or episode.outcome.status != self.outcome
        ):
            return False
        if self.since is not None and episode.started_at < self.since:
            return False
        if self.until is not None and episode.started_at >= self.until:
            return False
        return self.completed is None or episode.is_completed == self.completed


@runtime_checkable
class StorageBackend(Protocol):
    """What :class:`memory_core.SelfLearningMemory` needs from a store."""

    async def open(self) -> None:
        """Connect, create or migrate the schema. Idempotent."""

    async def close(self) -> None:
        """Flush and release resources. Idempotent."""

    # Episodes -------------------------------------------------------------
    async def put_episode(self, episode: Episode) -> None:
        """Insert or replace one episode (with its steps)."""

    async def put_episodes(self, episodes: Sequence[Episode]) -> None:
        """Insert or replace many episodes in one batch (atomic where supported)."""

    async def get_episode(self, episode_id: uuid.UUID) -> Episode | None:
        """The episode with this id, or None."""

    async def get_episodes(self, episode_ids: Sequence[uuid.UUID]) -> list[Episode]:
        """The episodes with these ids, in the order asked; missing ids are skipped."""

    async def delete_episode(self, episode_id: uuid.UUID) -> bool:
        """Delete an episode and its embedding; True if it existed."""

    async def list_episodes(self, query: EpisodeQuery) -> list[Episode]:
        """Episodes matching ``query``, newest first, paged by limit/offset."""

    async def count_episodes(self, *, completed: bool | None = None) -> int:
        """Number of stored episodes (all, completed only, or in progress only)."""

    def iter_episodes(
        self, *, completed: bool | None = None, batch_size: int = 1000
    ) -> AsyncIterator[list[Episode]]:
        """Every stored episode in batches, oldest first (for index builds and re-mining)."""

    # Patterns and heuristics ------------------------------------------------
    async def put_patterns(self, patterns: Sequence[Pattern]) -> None:
        """Insert or replace patterns."""

    async def get_pattern(self, pattern_id: uuid.UUID) -> Pattern | None:
        """The pattern with this id, or None."""

    async def list_patterns(self, *, limit: int = 1000, offset: int = 0) -> list[Pattern]:
        """Stored patterns, ordered by id."""

    async def delete_pattern(self, pattern_id: uuid.UUID) -> bool:
        """Delete a pattern; True if it existed."""

    async def count_patterns(self) -> int:
        """Number of stored patterns."""

    async def put_heuristics(self, heuristics: Sequence[Heuristic]) -> None:
        """Insert or replace heuristics."""

    async def get_heuristic(self, heuristic_id: uuid.UUID) -> Heuristic | None:
        """The heuristic with this id, or None."""

    async def list_heuristics(self, *, limit: int = 1000, offset: int = 0) -> list[Heuristic]:
        """Stored heuristics, ordered by id."""

    async def delete_heuristic(self, heuristic_id: uuid.UUID) -> bool:
        """Delete a heuristic; True if it existed."""

    async def count_heuristics(self) -> int:
        """Number of stored heuristics."""

    # Embeddings and metadata ----------------------------------------------
    async def put_embeddings(
        self,
        kind: EmbeddingKind,
        model: str,
        items: Sequence[tuple[uuid.UUID, npt.NDArray[np.float32]]],
    ) -> None:
        """Store vectors computed by ``model`` for episodes or patterns."""

    async def get_embeddings(
        self, kind: EmbeddingKind, model: str, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, npt.NDArray[np.float32]]:
        """Stored vectors of ``model`` for these ids (missing ids are absent)."""

    async def get_metadata(self, key: str) -> str | None:
        """A metadata value, or None."""

    async def set_metadata(self, key: str, value: str) -> None:
        """Set a metadata value."""


@runtime_checkable
class SearchableStorage(Protocol):
    """Optional search hooks a backend may offer, so retrieval can push work into the store.

    Each hit is an ``(id, score)`` pair, best first, higher scores better. The
    libSQL backend implements them with FTS5 and libSQL vector search.
    """

    async def search_text(
        self, query: str, *, limit: int = 10
    ) -> Sequence[tuple[uuid.UUID, float]]:
        """Episodes whose text matches ``query`` (lexical, e.g. BM25)."""

    async def search_vectors(
        self, kind: EmbeddingKind, model: str, query: npt.ArrayLike, k: int = 10
    ) -> Sequence[tuple[uuid.UUID, float]]:
        """The ``k`` stored vectors of ``model`` nearest to ``query`` (cosine)."""
