"""The learning service: aggregates, materialized patterns, the queue, and storage writes.

One service belongs to one :class:`memory_core.SelfLearningMemory`. All
mutations of the aggregates happen under one lock, and each batch writes the
patterns and heuristics it changed (and deletes those that fell below the
minimum support) in one go, so storage always reflects a consistent state.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import anyio
import msgspec

from ..config import MemoryConfig
from ..errors import NotFoundError
from ..models import Episode, TaskContext, utc_now
from ..patterns import Effectiveness, Heuristic, Pattern, PatternMatch
from ..storage import StorageBackend
from ..text import tokenize
from .aggregate import (
    Aggregates,
    ContextStat,
    DecisionStat,
    ErrorStat,
    PatternKey,
    SequenceCorpus,
)
from .confidence import apply_feedback
from .extract import EpisodeObservations, observe_episode
from .materialize import (
    context_heuristic,
    decision_heuristic,
    error_heuristic,
    materialize_pattern,
    pattern_id,
)
from .pattern_index import PatternIndex
from .queue import LearningQueue, QueueStats
from .ranking import pattern_quality, pattern_tokens, rank_heuristics

__all__ = ["LearningService", "LearningStats", "RelearnReport"]

#: Called with (episodes done, episodes total) during a bulk re-mine.
ProgressCallback = Callable[[int, int], None]

_COST_WINDOW = 2048
_YIELD_EVERY = 64
_BATCH = 1000


class LearningStats(msgspec.Struct, frozen=True, kw_only=True):
    """Learning at a glance: queue, learned episodes, patterns and per-episode cost."""

    queue: QueueStats
    episodes_learned: int
    patterns: dict[str, int]
    heuristics: int
    sequence_candidates: int
    candidates_pruned: int
    learn_p50_ms: float
    learn_p95_ms: float


class RelearnReport(msgspec.Struct, frozen=True, kw_only=True):
    """What a bulk re-mine did."""

    episodes: int
    patterns: int
    heuristics: int
    removed: int
    seconds: float


def _key_of(pattern: Pattern) -> PatternKey:
    from ..patterns import ContextPattern, DecisionPoint, ErrorRecovery, ToolSequence

    if isinstance(pattern, ToolSequence):
        return ("seq", pattern.tools)
    if isinstance(pattern, DecisionPoint):
        return ("decision", (pattern.condition, pattern.action))
    if isinstance(pattern, ErrorRecovery):
        return ("error", pattern.error_type)
    assert isinstance(pattern, ContextPattern)
    return ("context", pattern.context_features)


class LearningService:
    """Learns patterns and heuristics from completed episodes, incrementally or in bulk."""

    def __init__(self, storage: StorageBackend, config: MemoryConfig) -> None:
        self._storage = storage
        self._config = config
        self._learning = config.learning
        self._aggregates = self._fresh_aggregates()
        self._patterns: dict[uuid.UUID, tuple[Pattern, frozenset[str]]] = {}
        self._heuristics: dict[uuid.UUID, Heuristic] = {}
        self._effectiveness: dict[uuid.UUID, Effectiveness] = {}
        self._dirty: set[uuid.UUID] = set()
        self._index = PatternIndex()
        self._corpus = SequenceCorpus()
        self._lock = anyio.Lock()
        self._costs: deque[float] = deque(maxlen=_COST_WINDOW)
        self.queue: LearningQueue[Episode] = LearningQueue(
            self.learn,
            capacity=config.queue_capacity,
            backpressure=config.backpressure,
            workers=config.learning_workers,
        )

    def _fresh_aggregates(self) -> Aggregates:
        return Aggregates(
            min_n=self._learning.min_sequence_length,
            max_n=self._learning.max_sequence_length,
            max_evidence=self._learning.max_evidence,
            max_candidates=self._learning.max_candidates,
        )

    def _observe(self, episodes: Iterable[Episode]) -> list[EpisodeObservations]:
        steps = self._learning.max_recovery_steps
        return [observe_episode(e, max_recovery_steps=steps) for e in episodes if e.is_completed]

    # Loading ---------------------------------------------------------------
    async def load_stored(self) -> None:
        """Read stored patterns and heuristics (keeps their effectiveness history)."""
        offset = 0
        while batch := await self._storage.list_patterns(limit=_BATCH, offset=offset):
            for pattern in batch:
                self._keep(pattern, pattern_tokens(pattern))
                self._effectiveness[pattern.id] = pattern.effectiveness
            offset += len(batch)
        offset = 0
        while heuristics := await self._storage.list_heuristics(limit=_BATCH, offset=offset):
            self._heuristics.update({h.id: h for h in heuristics})
            offset += len(heuristics)

    def observe_loaded(self, episodes: Sequence[Episode]) -> None:
        """Count already-stored episodes into the aggregates (no writes; see reconcile).

        Tool n-grams are collected into a corpus and counted in bulk by the
        compiled kernel when :meth:`reconcile` (or :meth:`relearn`) finishes.
        """
        for obs in self._observe(episodes):
            self._aggregates.apply(obs, +1, sequences=False)
            self._corpus.add(obs)

    def _count_corpus(self) -> None:
        if len(self._corpus):
            self._aggregates.load_sequences(self._corpus)
        self._corpus = SequenceCorpus()

    async def reconcile(self) -> int:
        """Bring stored patterns in line with the aggregates; returns how many were removed."""
        async with self._lock:
            self._count_corpus()
            return await self._sync_all()

    def _all_keys(self) -> list[PatternKey]:
        aggregates = self._aggregates
        keys: list[PatternKey] = [("seq", k) for k in aggregates.sequences]
        keys += [("decision", k) for k in aggregates.decisions]
        keys += [("error", k) for k in aggregates.errors]
        keys += [("context", k) for k in aggregates.contexts]
        return keys

    async def _sync_all(self) -> int:
        before = set(self._patterns) | set(self._heuristics)
        keys = self._all_keys()
        await self._write(keys, utc_now(), only_changed=True)
        live: set[uuid.UUID] = set()
        for key in keys:
            if self._stat(key) is not None:
                live.add(self._pattern_id(key))
                hid = self._heuristic_id(key)
                if hid is not None and hid in self._heuristics:
                    live.add(hid)
        return await self._remove(before - live)

    # Writing ---------------------------------------------------------------
    def _stat(self, key: PatternKey) -> object | None:
        kind, canonical = key
        tables: dict[str, dict[Any, Any]] = {
            "seq": self._aggregates.sequences,
            "decision": self._aggregates.decisions,
            "error": self._aggregates.errors,
            "context": self._aggregates.contexts,
        }
        stat: object | None = tables[kind].get(canonical)
        if stat is None or getattr(stat, "support", 0) < self._learning.min_support:
            return None
        return stat

    def _heuristic_for(self, key: PatternKey, stat: object, now: datetime) -> Heuristic | None:
        kind, canonical = key
        z = self._learning.confidence_z
        hid = self._heuristic_id(key)
        previous = self._heuristics.get(hid) if hid is not None else None
        created = previous.created_at if previous is not None else now
        if kind == "error" and isinstance(stat, ErrorStat):
            return error_heuristic(canonical, stat, z, now, created)
        if kind == "decision" and isinstance(stat, DecisionStat):
            return decision_heuristic(canonical, stat, z, now, created)
        if kind == "context" and isinstance(stat, ContextStat):
            return context_heuristic(canonical, stat, z, now, created)
        return None

    def _heuristic_id(self, key: PatternKey) -> uuid.UUID | None:
        kind, canonical = key
        if kind == "error":
            return pattern_id("heuristic", "error", canonical)
        if kind == "decision":
            return pattern_id("heuristic", "decision", *canonical)
        if kind == "context":
            return pattern_id("heuristic", "context", *canonical)
        return None

    def _pattern_id(self, key: PatternKey) -> uuid.UUID:
        kind, canonical = key
        if kind == "seq":
            return pattern_id("tool_sequence", "contiguous", *canonical)
        if kind == "decision":
            return pattern_id("decision_point", *canonical)
        if kind == "error":
            return pattern_id("error_recovery", canonical)
        return pattern_id("context_pattern", *canonical)

    async def _write(
        self, keys: Iterable[PatternKey], now: datetime, *, only_changed: bool
    ) -> None:
        patterns: list[Pattern] = []
        heuristics: list[Heuristic] = []
        removed: set[uuid.UUID] = set()
        for done, key in enumerate(keys, start=1):
            if done % _YIELD_EVERY == 0:
                # Long materializations must not stall the event loop (agents' calls,
                # retrieval) for tens of milliseconds: let other tasks run.
                await anyio.lowlevel.checkpoint()
            stat = self._stat(key)
            pid = self._pattern_id(key)
            hid = self._heuristic_id(key)
            if stat is None:
                removed.add(pid)
                if hid is not None:
                    removed.add(hid)
                continue
            effectiveness = self._effectiveness.get(pid, Effectiveness())
            old = self._patterns.get(pid)
            created = old[0].created_at if old is not None else now
            pattern = materialize_pattern(key, stat, effectiveness, now, created)
            if not (only_changed and old is not None and _same(old[0], pattern)):
                patterns.append(pattern)
            heuristic = self._heuristic_for(key, stat, now)
            if heuristic is not None:
                previous = self._heuristics.get(heuristic.id)
                if not (only_changed and previous is not None and _same(previous, heuristic)):
                    heuristics.append(heuristic)
            elif hid is not None:
                removed.add(hid)
        # Dirty effectiveness (retrieval counts) rides along with this write.
        for pid in self._dirty - {p.id for p in patterns}:
            entry = self._patterns.get(pid)
            if entry is not None:
                patterns.append(entry[0])
        self._dirty.clear()
        if patterns:
            await self._storage.put_patterns(patterns)
            for pattern in patterns:
                self._keep(pattern, self._tokens_for(pattern))
        if heuristics:
            await self._storage.put_heuristics(heuristics)
            self._heuristics.update({h.id: h for h in heuristics})
        await self._remove(removed)

    def _keep(self, pattern: Pattern, tokens: frozenset[str]) -> None:
        self._patterns[pattern.id] = (pattern, tokens)
        self._index.upsert(pattern, tokens, pattern_quality(pattern, self._learning.confidence_z))

    def _tokens_for(self, pattern: Pattern) -> frozenset[str]:
        # Tokens depend only on the pattern's text and keywords; reuse them when unchanged.
        old = self._patterns.get(pattern.id)
        if (
            old is not None
            and old[0].keywords == pattern.keywords
            and type(old[0]) is type(pattern)
        ):
            return old[1]
        return pattern_tokens(pattern)

    async def _remove(self, ids: set[uuid.UUID]) -> int:
        count = 0
        for item in ids:
            if self._patterns.pop(item, None) is not None:
                self._index.remove(item)
                await self._storage.delete_pattern(item)
                count += 1
            if self._heuristics.pop(item, None) is not None:
                await self._storage.delete_heuristic(item)
                count += 1
        return count

    # Incremental learning ----------------------------------------------------
    async def learn(self, episodes: Sequence[Episode]) -> None:
        """Learn from newly completed episodes (the queue's handler)."""
        if not episodes:
            return
        async with self._lock:
            started = time.perf_counter()
            now = utc_now()
            touched: set[PatternKey] = set()
            for episode in episodes:
                touched |= self._aggregates.add_many(self._observe([episode]))
                await anyio.lowlevel.checkpoint()
            await self._write(touched, now, only_changed=False)
            per_episode = (time.perf_counter() - started) / len(episodes)
            self._costs.extend([per_episode] * len(episodes))

    async def forget(self, episode: Episode) -> None:
        """Remove a deleted episode's contribution."""
        if not episode.is_completed:
            return
        async with self._lock:
            now = utc_now()
            touched: set[PatternKey] = set()
            for obs in self._observe([episode]):
                touched |= self._aggregates.apply(obs, -1)
            await self._write(touched, now, only_changed=False)

    async def relearn(self, progress: ProgressCallback | None = None) -> RelearnReport:
        """Re-mine every completed episode in storage from scratch."""
        started = time.perf_counter()
        async with self._lock:
            total = await self._storage.count_episodes(completed=True)
            self._aggregates = self._fresh_aggregates()
            done = 0
            self._corpus = SequenceCorpus()
            async for batch in self._storage.iter_episodes(completed=True, batch_size=_BATCH):
                self.observe_loaded(batch)
                done += len(batch)
                if progress is not None:
                    progress(done, total)
            self._count_corpus()
            removed = await self._sync_all()
        return RelearnReport(
            episodes=done,
            patterns=len(self._patterns),
            heuristics=len(self._heuristics),
            removed=removed,
            seconds=time.perf_counter() - started,
        )

    # Reading ---------------------------------------------------------------
    def patterns(self) -> list[Pattern]:
        """Every current pattern, ordered by id."""
        return [self._patterns[pid][0] for pid in sorted(self._patterns)]

    def evidence_of(self, pattern: Pattern) -> tuple[uuid.UUID, ...]:
        """Episodes recorded as evidence of ``pattern`` (at most ``max_evidence``).

        Tool sequences keep no evidence list (there are too many n-grams), so
        they return no episodes.
        """
        stat = self._stat(_key_of(pattern))
        evidence = getattr(stat, "evidence", ())
        return tuple(item for item in evidence if isinstance(item, uuid.UUID))

    def heuristics(self) -> list[Heuristic]:
        """Every current heuristic, ordered by id."""
        return [self._heuristics[hid] for hid in sorted(self._heuristics)]

    def rank(self, task_description: str, context: TaskContext, limit: int) -> list[PatternMatch]:
        """Best patterns for a task; counts each returned pattern as retrieved."""
        hits = self._index.search(
            query_tokens=frozenset(tokenize(task_description)),
            context=context,
            weights=self._config.pattern_weights,
            now=utc_now().timestamp(),
            half_life_days=self._learning.effectiveness_half_life_days,
            limit=limit,
        )
        matches = []
        for pattern, score, breakdown in hits:
            eff = msgspec.structs.replace(
                pattern.effectiveness, times_retrieved=pattern.effectiveness.times_retrieved + 1
            )
            updated = msgspec.structs.replace(pattern, effectiveness=eff)
            self._keep(updated, self._patterns[pattern.id][1])
            self._effectiveness[pattern.id] = eff
            self._dirty.add(pattern.id)
            matches.append(PatternMatch(pattern=pattern, score=score, breakdown=breakdown))
        return matches

    def rank_heuristics(self, context: TaskContext, limit: int) -> list[Heuristic]:
        """Heuristics for a context, best first."""
        return rank_heuristics(self._heuristics.values(), context, limit)

    async def feedback(self, pattern_uuid: uuid.UUID, helped: bool) -> Pattern:
        """Record that a pattern was applied and whether it helped; persisted at once."""
        async with self._lock:
            entry = self._patterns.get(pattern_uuid)
            if entry is None:
                raise NotFoundError(f"pattern {pattern_uuid} does not exist")
            pattern, tokens = entry
            eff = apply_feedback(
                pattern.effectiveness,
                helped=helped,
                now=utc_now(),
                half_life_days=self._learning.effectiveness_half_life_days,
            )
            updated = msgspec.structs.replace(pattern, effectiveness=eff)
            await self._storage.put_patterns([updated])
            self._keep(updated, tokens)
            self._effectiveness[pattern_uuid] = eff
            self._dirty.discard(pattern_uuid)
            return updated

    async def flush(self) -> None:
        """Persist pending effectiveness updates (retrieval counts)."""
        async with self._lock:
            pending = [self._patterns[pid][0] for pid in self._dirty if pid in self._patterns]
            self._dirty.clear()
            if pending:
                await self._storage.put_patterns(pending)

    def stats(self) -> LearningStats:
        """A snapshot of learning."""
        kinds: dict[str, int] = {}
        for pattern, _ in self._patterns.values():
            kind = type(pattern).__name__
            kinds[kind] = kinds.get(kind, 0) + 1
        costs = sorted(self._costs)

        def pct(q: float) -> float:
            return (
                1000.0 * costs[min(len(costs) - 1, round(q * (len(costs) - 1)))] if costs else 0.0
            )

        return LearningStats(
            queue=self.queue.stats(),
            episodes_learned=self._aggregates.episodes,
            patterns=dict(sorted(kinds.items())),
            heuristics=len(self._heuristics),
            sequence_candidates=len(self._aggregates.sequences),
            candidates_pruned=self._aggregates.pruned,
            learn_p50_ms=pct(0.5),
            learn_p95_ms=pct(0.95),
        )


def _same(a: Pattern | Heuristic, b: Pattern | Heuristic) -> bool:
    """Equal apart from ``updated_at``."""
    return msgspec.structs.replace(a, updated_at=b.updated_at) == b
