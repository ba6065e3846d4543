"""The in-process retrieval index over completed episodes.

It keeps, per episode, a slot holding a unit embedding row, the context,
completion time and reward, plus a BM25 posting list of the episode's text.
Search gathers candidates from the dense top-k (compiled kernel) and from the
lexical postings, scores every candidate on all signals, and mixes them with
the configured weights. Small indexes are scored exhaustively.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ..models import Episode, TaskContext
from ..similarity import topk_cosine
from ..text import tokenize
from .context_columns import ContextColumns
from .fusion import fuse, top_rows
from .lexical import BM25Index
from .signals import reward_signal

__all__ = ["SIGNALS", "EpisodeIndex", "ScoredEpisode", "episode_document"]

#: Signal names, in the order they appear in every breakdown.
SIGNALS = ("semantic", "lexical", "context", "recency", "reward")

_EXHAUSTIVE_BELOW = 4096
_CANDIDATES_PER_RESULT = 10
_MIN_CANDIDATES = 100
_OBSERVATION_CHARS = 500


class ScoredEpisode(NamedTuple):
    """An index hit: the episode id, its fused score and the per-signal values."""

    episode_id: uuid.UUID
    score: float
    breakdown: dict[str, float]


def episode_document(episode: Episode) -> str:
    """The text BM25 indexes: task, step tools/actions/errors/observations, reflection."""
    parts = [episode.task_description]
    for step in episode.steps:
        parts.append(f"{step.tool} {step.action}")
        if step.error:
            parts.append(step.error)
        if step.observation:
            parts.append(step.observation[:_OBSERVATION_CHARS])
    if episode.reflection is not None:
        reflection = episode.reflection
        parts.extend([*reflection.successes, *reflection.improvements, *reflection.insights])
    return "\n".join(parts)


class EpisodeIndex:
    """Dense + lexical + metadata index of completed episodes.

    Metadata is kept column-wise (numpy arrays indexed by slot) so every signal
    is computed for all candidates at once; only the returned hits get a
    breakdown dictionary.
    """

    def __init__(self, dim: int, *, capacity: int = 1024) -> None:
        self._dim = dim
        capacity = max(capacity, 16)
        self._matrix = np.zeros((capacity, dim), dtype=np.float32)
        self._reward = np.zeros(capacity, dtype=np.float64)
        self._completed = np.zeros(capacity, dtype=np.float64)
        self._contexts = ContextColumns(capacity)
        self._alive = np.zeros(capacity, dtype=bool)
        self._ids: list[uuid.UUID | None] = []
        self._slot_of: dict[uuid.UUID, int] = {}
        self._free: list[int] = []
        self._bm25 = BM25Index()

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, episode_id: object) -> bool:
        return episode_id in self._slot_of

    @property
    def dim(self) -> int:
        """Dimension of the stored vectors."""
        return self._dim

    def _grow(self) -> None:
        size = self._matrix.shape[0] * 2
        for name in ("_matrix", "_reward", "_completed", "_alive"):
            old = getattr(self, name)
            new = np.zeros((size, *old.shape[1:]), dtype=old.dtype)
            new[: old.shape[0]] = old
            setattr(self, name, new)
        self._contexts.grow(size)

    def add(self, episode: Episode, vector: npt.NDArray[np.float32]) -> None:
        """Index a completed episode with its unit embedding (re-adding replaces)."""
        if episode.completed_at is None or episode.reward is None:
            raise ValueError("only completed, scored episodes can be indexed")
        if vector.shape != (self._dim,):
            raise ValueError(f"vector must have shape ({self._dim},), got {vector.shape}")
        self.remove(episode.id)
        if self._free:
            slot = self._free.pop()
        else:
            if len(self._ids) == self._matrix.shape[0]:
                self._grow()
            slot = len(self._ids)
            self._ids.append(None)
        self._matrix[slot] = vector
        self._reward[slot] = reward_signal(episode.reward.total)
        self._completed[slot] = episode.completed_at.timestamp()
        self._contexts.set(slot, episode.context)
        self._alive[slot] = True
        self._ids[slot] = episode.id
        self._slot_of[episode.id] = slot
        self._bm25.add(slot, tokenize(episode_document(episode)))

    def remove(self, episode_id: uuid.UUID) -> bool:
        """Drop an episode from the index; False if it was not there."""
        slot = self._slot_of.pop(episode_id, None)
        if slot is None:
            return False
        self._matrix[slot] = 0.0
        self._alive[slot] = False
        self._ids[slot] = None
        self._contexts.clear(slot)
        self._bm25.remove(slot)
        self._free.append(slot)
        return True

    def _candidates(
        self,
        query_vector: npt.NDArray[np.float32],
        lexical: tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]],
        limit: int,
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """Candidate slots and their cosine to the query."""
        used = len(self._ids)
        if used <= _EXHAUSTIVE_BELOW:
            slots = np.flatnonzero(self._alive[:used])
            semantic = self._matrix[slots] @ query_vector
            return slots, semantic.astype(np.float64)
        wanted = max(_MIN_CANDIDATES, limit * _CANDIDATES_PER_RESULT)
        dense, _ = topk_cosine(
            self._matrix[:used], query_vector, min(used, wanted), assume_normalized=True
        )
        docs, scores = lexical
        if len(docs) > wanted:
            docs = docs[np.argpartition(-scores, wanted - 1)[:wanted]]
        merged = np.unique(np.concatenate([dense.astype(np.intp), docs]))
        merged = merged[self._alive[merged]]
        return merged, (self._matrix[merged] @ query_vector).astype(np.float64)

    def _lexical_for(
        self,
        slots: npt.NDArray[np.intp],
        lexical: tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]],
    ) -> npt.NDArray[np.float64]:
        dense = np.zeros(len(self._ids), dtype=np.float64)
        docs, scores = lexical
        dense[docs] = scores
        return dense[slots]

    def search(
        self,
        *,
        query_text: str,
        query_vector: npt.NDArray[np.float32],
        context: TaskContext,
        limit: int,
        weights: dict[str, float],
        now: datetime,
        half_life_days: float,
    ) -> list[ScoredEpisode]:
        """The ``limit`` best episodes for a query, best first, with breakdowns."""
        if not self._slot_of:
            return []
        lexical = self._bm25.score_arrays(tokenize(query_text))
        slots, semantic = self._candidates(query_vector, lexical, limit)
        if len(slots) == 0:
            return []
        age_days = np.maximum(0.0, now.timestamp() - self._completed[slots]) / 86_400.0
        signals = {
            "semantic": np.maximum(0.0, semantic),
            "lexical": self._lexical_for(slots, lexical),
            "context": self._contexts.match(context, slots),
            "recency": 0.5 ** (age_days / half_life_days),
            "reward": self._reward[slots],
        }
        fused = fuse(signals, weights, SIGNALS, len(slots))
        ids = self._ids

        def tie_key(i: int) -> bytes:
            episode_id = ids[int(slots[i])]
            assert episode_id is not None
            return episode_id.bytes

        order = top_rows(fused, limit, tie_key)
        hits = []
        for i in order[:limit]:
            episode_id = self._ids[int(slots[i])]
            assert episode_id is not None
            breakdown = {name: float(signals[name][i]) for name in SIGNALS}
            hits.append(ScoredEpisode(episode_id, float(fused[i]), breakdown))
        return hits
