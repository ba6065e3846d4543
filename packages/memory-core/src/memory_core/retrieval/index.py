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
from .lexical import BM25Index
from .signals import context_match, recency, reward_signal

__all__ = ["SIGNALS", "EpisodeIndex", "ScoredEpisode", "episode_document"]

#: Signal names, in the order they appear in every breakdown.
SIGNALS = ("semantic", "lexical", "context", "recency", "reward")

_EXHAUSTIVE_BELOW = 4096
_CANDIDATES_PER_RESULT = 10
_MIN_CANDIDATES = 100
_OBSERVATION_CHARS = 500


class _Entry(NamedTuple):
    episode_id: uuid.UUID
    context: TaskContext
    completed_at: datetime
    reward: float


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
    """Dense + lexical + metadata index of completed episodes."""

    def __init__(self, dim: int, *, capacity: int = 1024) -> None:
        self._dim = dim
        self._matrix = np.zeros((max(capacity, 16), dim), dtype=np.float32)
        self._entries: list[_Entry | None] = []
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
        bigger = np.zeros((self._matrix.shape[0] * 2, self._dim), dtype=np.float32)
        bigger[: len(self._entries)] = self._matrix[: len(self._entries)]
        self._matrix = bigger

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
            if len(self._entries) == self._matrix.shape[0]:
                self._grow()
            slot = len(self._entries)
            self._entries.append(None)
        self._matrix[slot] = vector
        self._entries[slot] = _Entry(
            episode.id, episode.context, episode.completed_at, reward_signal(episode.reward.total)
        )
        self._slot_of[episode.id] = slot
        self._bm25.add(slot, tokenize(episode_document(episode)))

    def remove(self, episode_id: uuid.UUID) -> bool:
        """Drop an episode from the index; False if it was not there."""
        slot = self._slot_of.pop(episode_id, None)
        if slot is None:
            return False
        self._matrix[slot] = 0.0
        self._entries[slot] = None
        self._bm25.remove(slot)
        self._free.append(slot)
        return True

    def _candidates(
        self, query_vector: npt.NDArray[np.float32], lexical: dict[int, float], limit: int
    ) -> dict[int, float]:
        used = len(self._entries)
        if used == 0:
            return {}
        wanted = max(_MIN_CANDIDATES, limit * _CANDIDATES_PER_RESULT)
        k = used if used <= _EXHAUSTIVE_BELOW else min(used, wanted)
        slots, scores = topk_cosine(self._matrix[:used], query_vector, k, assume_normalized=True)
        semantic = {int(s): max(0.0, float(v)) for s, v in zip(slots, scores, strict=True)}
        if used > _EXHAUSTIVE_BELOW:
            for slot in sorted(lexical, key=lexical.__getitem__, reverse=True)[:wanted]:
                semantic.setdefault(slot, -1.0)
        return semantic

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
        lexical = self._bm25.score(tokenize(query_text))
        candidates = self._candidates(query_vector, lexical, limit)
        missing = [slot for slot, value in candidates.items() if value < 0.0]
        if missing:
            exact = self._matrix[missing] @ query_vector
            candidates.update({s: max(0.0, float(v)) for s, v in zip(missing, exact, strict=True)})
        total_weight = sum(weights.values())
        hits: list[ScoredEpisode] = []
        for slot, semantic in candidates.items():
            entry = self._entries[slot]
            if entry is None:
                continue
            breakdown = {
                "semantic": semantic,
                "lexical": lexical.get(slot, 0.0),
                "context": context_match(context, entry.context),
                "recency": recency(entry.completed_at, now, half_life_days),
                "reward": entry.reward,
            }
            score = sum(weights[name] * breakdown[name] for name in SIGNALS) / total_weight
            hits.append(ScoredEpisode(entry.episode_id, score, breakdown))
        hits.sort(key=lambda hit: (-hit.score, hit.episode_id.bytes))
        return hits[:limit]
