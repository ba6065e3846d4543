"""The in-process retrieval index over completed episodes.

It keeps, per episode, a slot holding a unit embedding row (see
:mod:`.dense`), the context, completion time, reward, outcome and an
effectiveness value, plus a BM25 posting list of the episode's text. Search
gathers candidates from the dense search and from the lexical postings, scores
every candidate on all signals, and mixes them with the configured weights.
Small indexes are scored exhaustively.

Slots are handed out in order and never reused: a removed episode leaves a
dead slot (so BM25 postings never need rewriting) and the index compacts
itself once dead slots make up a quarter of it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ..models import Episode, TaskContext
from ..text import tokenize
from .context_columns import ContextColumns
from .dense import DenseIndex, DensePath
from .filters import RetrievalFilters
from .fusion import fuse, top_rows
from .lexical import BM25Index, LexicalQuery
from .mmr import mmr_order
from .signals import reward_signal

__all__ = ["NEUTRAL_EFFECTIVENESS", "SIGNALS", "EpisodeIndex", "ScoredEpisode", "episode_document"]

#: Signal names, in the order they appear in every breakdown.
SIGNALS = ("semantic", "lexical", "context", "recency", "reward", "effectiveness")

#: Effectiveness of an episode no feedback has reached yet.
NEUTRAL_EFFECTIVENESS = 0.5

_EXHAUSTIVE_BELOW = 4096
_CANDIDATES_PER_RESULT = 10
_MIN_CANDIDATES = 100
_MMR_POOL_PER_RESULT = 4
_OBSERVATION_CHARS = 500
#: How many times the task description's words count in an episode's BM25 document.
TASK_BOOST = 5
_COMPACT_MIN_DEAD = 1024
_STATUS_CODES = {"success": 0, "partial": 1, "failure": 2, "abstained": 3}
_NO_STATUS = -1


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


def episode_tokens(episode: Episode) -> list[str]:
    """BM25 terms of an episode: its document, the task description counted ``TASK_BOOST`` times.

    The task description says what the episode was for; step output mostly
    says how it went. Counting the task's words more (a one-field take on
    BM25F) ranks episodes of the same task above ones that merely ran similar
    tools.
    """
    return tokenize(episode.task_description) * (TASK_BOOST - 1) + tokenize(
        episode_document(episode)
    )


class EpisodeIndex:
    """Dense + lexical + metadata index of completed episodes.

    Metadata is kept column-wise (numpy arrays indexed by slot) so every signal
    and filter is computed for all candidates at once; only the returned hits
    get a breakdown dictionary.
    """

    def __init__(self, dim: int, *, capacity: int = 1024, dense_path: DensePath = "auto") -> None:
        self._dim = dim
        capacity = max(capacity, 16)
        self._dense = DenseIndex(dim, path=dense_path, capacity=capacity)
        self._reward = np.zeros(capacity, dtype=np.float64)
        self._completed = np.zeros(capacity, dtype=np.float64)
        self._effectiveness = np.full(capacity, NEUTRAL_EFFECTIVENESS, dtype=np.float64)
        self._status = np.full(capacity, _NO_STATUS, dtype=np.int8)
        self._contexts = ContextColumns(capacity)
        self._alive = np.zeros(capacity, dtype=bool)
        self._ids: list[uuid.UUID | None] = []
        self._slot_of: dict[uuid.UUID, int] = {}
        self._dead = 0
        self._bm25 = BM25Index()
        self.generation = 0
        """Bumped by every change, so cached results can tell they are stale."""

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, episode_id: object) -> bool:
        return episode_id in self._slot_of

    @property
    def dim(self) -> int:
        """Dimension of the stored vectors."""
        return self._dim

    @property
    def dense(self) -> DenseIndex:
        """The dense vector store (path choice, memory accounting)."""
        return self._dense

    def memory_bytes(self) -> dict[str, int]:
        """Bytes of the vector representations held for the live slots in use."""
        return self._dense.memory_bytes(len(self._ids))

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more episodes without reallocating (e.g. before a bulk load)."""
        needed = len(self._ids) + extra
        if needed > self._capacity:
            # Geometric growth keeps many small reservations linear overall; capacity
            # beyond the rows written is never touched, so it costs address space only.
            self._resize(max(needed, self._capacity + self._capacity // 2))

    @property
    def _capacity(self) -> int:
        return int(self._alive.shape[0])

    def _resize(self, size: int) -> None:
        self._dense.reserve(size)
        for name in ("_reward", "_completed", "_effectiveness", "_status", "_alive"):
            old = getattr(self, name)
            fill = NEUTRAL_EFFECTIVENESS if name == "_effectiveness" else 0
            fill = _NO_STATUS if name == "_status" else fill
            new = np.full(size, fill, dtype=old.dtype)
            new[: old.shape[0]] = old
            setattr(self, name, new)
        self._contexts.grow(size)
        self._bm25.reserve(size)

    def add(
        self,
        episode: Episode,
        vector: npt.NDArray[np.float32],
        *,
        effectiveness: float = NEUTRAL_EFFECTIVENESS,
    ) -> None:
        """Index a completed episode with its unit embedding (re-adding replaces)."""
        if episode.completed_at is None or episode.reward is None:
            raise ValueError("only completed, scored episodes can be indexed")
        if vector.shape != (self._dim,):
            raise ValueError(f"vector must have shape ({self._dim},), got {vector.shape}")
        self.remove(episode.id)
        slot = len(self._ids)
        if slot == self._capacity:
            self._resize(2 * self._capacity)
        self._ids.append(episode.id)
        self._dense.set(slot, vector)
        self._reward[slot] = reward_signal(episode.reward.total)
        self._completed[slot] = episode.completed_at.timestamp()
        self._effectiveness[slot] = effectiveness
        status = episode.outcome.status if episode.outcome is not None else None
        self._status[slot] = _STATUS_CODES.get(status or "", _NO_STATUS)
        self._contexts.set(slot, episode.context, episode.tags)
        self._alive[slot] = True
        self._slot_of[episode.id] = slot
        self._bm25.add(slot, episode_tokens(episode))
        self.generation += 1

    def remove(self, episode_id: uuid.UUID) -> bool:
        """Drop an episode from the index; False if it was not there."""
        slot = self._slot_of.pop(episode_id, None)
        if slot is None:
            return False
        self._dense.clear(slot)
        self._alive[slot] = False
        self._ids[slot] = None
        self._contexts.clear(slot)
        self._bm25.remove(slot)
        self._dead += 1
        self.generation += 1
        if self._dead >= max(_COMPACT_MIN_DEAD, len(self._ids) // 4):
            self.compact()
        return True

    def compact(self) -> None:
        """Move live episodes to the lowest slots and release dead ones."""
        used = len(self._ids)
        live = np.flatnonzero(self._alive[:used])
        new_slot = np.full(used, -1, dtype=np.intp)
        new_slot[live] = np.arange(len(live), dtype=np.intp)
        self._dense.compact(live)
        capacity = max(16, len(live))
        for name in ("_reward", "_completed", "_effectiveness", "_status", "_alive"):
            setattr(self, name, getattr(self, name)[live])
        self._contexts.compact(live)
        self._bm25.remap(new_slot)
        self._ids = [self._ids[slot] for slot in live.tolist()]
        self._slot_of = {eid: slot for slot, eid in enumerate(self._ids) if eid is not None}
        self._dead = 0
        self._resize(capacity)
        self.generation += 1

    def set_effectiveness(self, episode_id: uuid.UUID, value: float) -> None:
        """Set an indexed episode's effectiveness signal (in [0, 1]); unknown ids are ignored."""
        slot = self._slot_of.get(episode_id)
        if slot is not None:
            self._effectiveness[slot] = min(1.0, max(0.0, value))
            self.generation += 1

    def _allowed(self, filters: RetrievalFilters, used: int) -> npt.NDArray[np.bool_]:
        mask = self._alive[:used].copy()
        if filters.domain is not None:
            mask &= self._contexts.rows_with_domain(filters.domain, used)
        if filters.tags:
            mask &= self._contexts.rows_with_tags(filters.tags, used)
        if filters.outcome is not None:
            mask &= self._status[:used] == _STATUS_CODES[filters.outcome]
        if filters.since is not None:
            mask &= self._completed[:used] >= filters.since.timestamp()
        if filters.until is not None:
            mask &= self._completed[:used] < filters.until.timestamp()
        return mask

    def _candidates(
        self,
        query_vector: npt.NDArray[np.float32],
        lexical: LexicalQuery | None,
        wanted: int,
        allowed: npt.NDArray[np.bool_] | None,
    ) -> npt.NDArray[np.intp]:
        """Candidate slots: the dense nearest and the lexical best, merged (sorted)."""
        used = len(self._ids)
        alive = self._alive if allowed is None else allowed
        if allowed is not None:
            permitted = np.flatnonzero(allowed)
            if len(permitted) <= max(_EXHAUSTIVE_BELOW, wanted):
                return permitted
            dense = self._dense.nearest_among(query_vector, wanted, permitted)
        elif used <= _EXHAUSTIVE_BELOW:
            return np.flatnonzero(self._alive[:used])
        else:
            dense = self._dense.nearest(query_vector, wanted, used, alive)
        if lexical is None:
            return np.unique(dense.astype(np.intp))
        docs = self._bm25.candidates(lexical, wanted, allowed)
        return np.unique(np.concatenate([dense.astype(np.intp), docs]))

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
        filters: RetrievalFilters | None = None,
        diversity: float = 0.0,
    ) -> list[ScoredEpisode]:
        """The ``limit`` best episodes for a query, best first, with breakdowns.

        ``filters`` restrict which episodes may be returned. ``diversity`` in
        [0, 1] re-orders the best candidates by maximal marginal relevance
        (0: pure relevance; higher values penalize near-duplicates more).
        """
        if not self._slot_of:
            return []
        used = len(self._ids)
        allowed = self._allowed(filters, used) if filters is not None and filters.active else None
        lexical = self._bm25.prepare(tokenize(query_text))
        pool = limit * _MMR_POOL_PER_RESULT if diversity > 0 else limit
        wanted = max(_MIN_CANDIDATES, pool * _CANDIDATES_PER_RESULT)
        slots = self._candidates(query_vector, lexical, wanted, allowed)
        if len(slots) == 0:
            return []
        age_days = np.maximum(0.0, now.timestamp() - self._completed[slots]) / 86_400.0
        signals = {
            "semantic": np.maximum(0.0, self._dense.cosine(slots, query_vector)),
            "lexical": self._bm25.score_docs(lexical, slots),
            "context": self._contexts.match(context, slots),
            "recency": 0.5 ** (age_days / half_life_days),
            "reward": self._reward[slots],
            "effectiveness": self._effectiveness[slots],
        }
        fused = fuse(signals, weights, SIGNALS, len(slots))
        ids = self._ids

        def tie_key(i: int) -> bytes:
            episode_id = ids[int(slots[i])]
            assert episode_id is not None
            return episode_id.bytes

        order = top_rows(fused, pool, tie_key)
        if diversity > 0 and len(order) > 1:
            chosen = np.asarray(order, dtype=np.intp)
            similarity = self._dense.pairwise(slots[chosen])
            order = [order[i] for i in mmr_order(fused[chosen], similarity, diversity, limit)]
        hits = []
        for i in order[:limit]:
            episode_id = self._ids[int(slots[i])]
            assert episode_id is not None
            breakdown = {name: float(signals[name][i]) for name in SIGNALS}
            hits.append(ScoredEpisode(episode_id, float(fused[i]), breakdown))
        return hits
