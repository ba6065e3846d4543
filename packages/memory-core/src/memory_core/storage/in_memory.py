"""A storage backend that keeps everything in process memory.

Records are kept serialized (msgpack), exactly as durable backends keep them,
so callers never share mutable state with the store and every read proves the
record round-trips. Filter fields are kept beside the bytes so listing does not
decode what it skips. Nothing survives the process.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

import anyio
import numpy as np
import numpy.typing as npt

from ..codec import decode_episode, decode_heuristic, decode_pattern, encode_msgpack
from ..errors import StorageError
from ..models import Episode
from ..patterns import Heuristic, Pattern
from .protocol import EmbeddingKind, EpisodeQuery

__all__ = ["InMemoryStorage"]


class InMemoryStorage:
    """Process-local storage; the default of :class:`memory_core.SelfLearningMemory`."""

    def __init__(self) -> None:
        self._episodes: dict[uuid.UUID, tuple[Episode, bytes]] = {}
        self._patterns: dict[uuid.UUID, bytes] = {}
        self._heuristics: dict[uuid.UUID, bytes] = {}
        self._embeddings: dict[tuple[EmbeddingKind, str, uuid.UUID], bytes] = {}
        self._metadata: dict[str, str] = {}
        self._closed = False

    def __repr__(self) -> str:
        return f"InMemoryStorage(episodes={len(self._episodes)})"

    async def __aenter__(self) -> InMemoryStorage:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("InMemoryStorage is closed")

    async def open(self) -> None:
        """Nothing to connect; re-opening a closed store makes it usable again."""
        self._closed = False

    async def close(self) -> None:
        """Mark the store closed; the data stays until the object is dropped."""
        self._closed = True

    # Episodes -------------------------------------------------------------
    async def put_episode(self, episode: Episode) -> None:
        """Insert or replace one episode."""
        await self.put_episodes([episode])

    async def put_episodes(self, episodes: Sequence[Episode]) -> None:
        """Insert or replace many episodes; all encoded before any is stored."""
        self._check_open()
        encoded = [(episode, encode_msgpack(episode)) for episode in episodes]
        for episode, data in encoded:
            # The frozen model is kept for filtering only; readers get a fresh decode.
            self._episodes[episode.id] = (episode, data)
        await anyio.lowlevel.checkpoint()

    async def get_episode(self, episode_id: uuid.UUID) -> Episode | None:
        """The episode with this id, or None."""
        self._check_open()
        entry = self._episodes.get(episode_id)
        return None if entry is None else decode_episode(entry[1])

    async def get_episodes(self, episode_ids: Sequence[uuid.UUID]) -> list[Episode]:
        """Episodes in the order asked; missing ids skipped."""
        self._check_open()
        found = (self._episodes.get(episode_id) for episode_id in episode_ids)
        return [decode_episode(entry[1]) for entry in found if entry is not None]

    async def delete_episode(self, episode_id: uuid.UUID) -> bool:
        """Delete an episode and its embeddings."""
        self._check_open()
        existed = self._episodes.pop(episode_id, None) is not None
        for key in [
            key for key in self._embeddings if key[0] == "episode" and key[2] == episode_id
        ]:
            del self._embeddings[key]
        return existed

    async def list_episodes(self, query: EpisodeQuery) -> list[Episode]:
        """Matching episodes, newest first, paged."""
        self._check_open()
        matching = [entry for entry in self._episodes.values() if query.matches(entry[0])]
        matching.sort(key=lambda entry: (entry[0].started_at, entry[0].id.bytes), reverse=True)
        page = matching[query.offset : query.offset + query.limit]
        return [decode_episode(entry[1]) for entry in page]

    async def count_episodes(self, *, completed: bool | None = None) -> int:
        """Number of stored episodes, optionally only completed or in-progress ones."""
        self._check_open()
        if completed is None:
            return len(self._episodes)
        return sum(1 for entry in self._episodes.values() if entry[0].is_completed == completed)

    async def iter_episodes(
        self, *, completed: bool | None = None, batch_size: int = 1000
    ) -> AsyncIterator[list[Episode]]:
        """Every episode in batches, oldest first."""
        self._check_open()
        entries = sorted(
            (
                e
                for e in self._episodes.values()
                if completed is None or e[0].is_completed == completed
            ),
            key=lambda entry: (entry[0].started_at, entry[0].id.bytes),
        )
        for start in range(0, len(entries), batch_size):
            yield [decode_episode(entry[1]) for entry in entries[start : start + batch_size]]
            await anyio.lowlevel.checkpoint()

    # Patterns and heuristics ------------------------------------------------
    async def put_patterns(self, patterns: Sequence[Pattern]) -> None:
        """Insert or replace patterns."""
        self._check_open()
        self._patterns.update({pattern.id: encode_msgpack(pattern) for pattern in patterns})

    async def get_pattern(self, pattern_id: uuid.UUID) -> Pattern | None:
        """The pattern with this id, or None."""
        self._check_open()
        data = self._patterns.get(pattern_id)
        return None if data is None else decode_pattern(data)

    async def list_patterns(self, *, limit: int = 1000, offset: int = 0) -> list[Pattern]:
        """Patterns ordered by id."""
        self._check_open()
        keys = sorted(self._patterns)[offset : offset + limit]
        return [decode_pattern(self._patterns[key]) for key in keys]

    async def delete_pattern(self, pattern_id: uuid.UUID) -> bool:
        """Delete a pattern."""
        self._check_open()
        return self._patterns.pop(pattern_id, None) is not None

    async def count_patterns(self) -> int:
        """Number of stored patterns."""
        self._check_open()
        return len(self._patterns)

    async def put_heuristics(self, heuristics: Sequence[Heuristic]) -> None:
        """Insert or replace heuristics."""
        self._check_open()
        self._heuristics.update({item.id: encode_msgpack(item) for item in heuristics})

    async def get_heuristic(self, heuristic_id: uuid.UUID) -> Heuristic | None:
        """The heuristic with this id, or None."""
        self._check_open()
        data = self._heuristics.get(heuristic_id)
        return None if data is None else decode_heuristic(data)

    async def list_heuristics(self, *, limit: int = 1000, offset: int = 0) -> list[Heuristic]:
        """Heuristics ordered by id."""
        self._check_open()
        keys = sorted(self._heuristics)[offset : offset + limit]
        return [decode_heuristic(self._heuristics[key]) for key in keys]

    async def delete_heuristic(self, heuristic_id: uuid.UUID) -> bool:
        """Delete a heuristic."""
        self._check_open()
        return self._heuristics.pop(heuristic_id, None) is not None

    async def count_heuristics(self) -> int:
        """Number of stored heuristics."""
        self._check_open()
        return len(self._heuristics)

    # Embeddings and metadata ----------------------------------------------
    async def put_embeddings(
        self,
        kind: EmbeddingKind,
        model: str,
        items: Sequence[tuple[uuid.UUID, npt.NDArray[np.float32]]],
    ) -> None:
        """Store float32 vectors (copied)."""
        self._check_open()
        for item_id, vector in items:
            self._embeddings[(kind, model, item_id)] = np.asarray(vector, np.float32).tobytes()

    async def get_embeddings(
        self, kind: EmbeddingKind, model: str, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, npt.NDArray[np.float32]]:
        """Stored vectors for these ids."""
        self._check_open()
        found: dict[uuid.UUID, npt.NDArray[np.float32]] = {}
        for item_id in ids:
            data = self._embeddings.get((kind, model, item_id))
            if data is not None:
                found[item_id] = np.frombuffer(data, dtype=np.float32).copy()
        return found

    async def get_metadata(self, key: str) -> str | None:
        """A metadata value, or None."""
        self._check_open()
        return self._metadata.get(key)

    async def set_metadata(self, key: str, value: str) -> None:
        """Set a metadata value."""
        self._check_open()
        self._metadata[key] = value
