"""Column-wise index of learned patterns, so ranking scores thousands of them at once.

Per pattern slot it keeps the context (shared :class:`ContextColumns`), the
precomputed quality, the effectiveness inputs and a token posting list; a query
is a handful of numpy operations over all live slots instead of a Python loop.
The scores are the vectorized twins of :mod:`memory_core.learning.ranking`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from ..models import TaskContext
from ..patterns import Pattern
from ..retrieval.context_columns import ContextColumns
from ..retrieval.fusion import fuse, top_rows

__all__ = ["PatternIndex"]

_SIGNALS = ("context", "relevance", "quality", "effectiveness")


class PatternIndex:
    """Patterns by slot with their ranking inputs."""

    def __init__(self, capacity: int = 1024) -> None:
        capacity = max(capacity, 16)
        self._quality = np.zeros(capacity, dtype=np.float64)
        self._helped = np.zeros(capacity, dtype=np.float64)
        self._hindered = np.zeros(capacity, dtype=np.float64)
        self._last_used = np.full(capacity, np.nan, dtype=np.float64)
        self._token_count = np.zeros(capacity, dtype=np.float64)
        self._alive = np.zeros(capacity, dtype=bool)
        self._contexts = ContextColumns(capacity)
        self._entries: list[Pattern | None] = []
        self._tokens: list[frozenset[str]] = []
        self._slot_of: dict[uuid.UUID, int] = {}
        self._free: list[int] = []
        self._postings: dict[str, set[int]] = {}
        self._arrays: dict[str, npt.NDArray[np.intp]] = {}

    def __len__(self) -> int:
        return len(self._slot_of)

    def _grow(self) -> None:
        size = self._alive.shape[0] * 2
        for name in ("_quality", "_helped", "_hindered", "_last_used", "_token_count", "_alive"):
            old = getattr(self, name)
            new = (
                np.full(size, np.nan, dtype=old.dtype)
                if name == "_last_used"
                else np.zeros(size, dtype=old.dtype)
            )
            new[: old.shape[0]] = old
            setattr(self, name, new)
        self._contexts.grow(size)

    def upsert(self, pattern: Pattern, tokens: frozenset[str], quality: float) -> None:
        """Add or replace a pattern with its tokens and precomputed quality."""
        slot = self._slot_of.get(pattern.id)
        if slot is None:
            if self._free:
                slot = self._free.pop()
            else:
                if len(self._entries) == self._alive.shape[0]:
                    self._grow()
                slot = len(self._entries)
                self._entries.append(None)
                self._tokens.append(frozenset())
            self._slot_of[pattern.id] = slot
        if self._tokens[slot] != tokens:
            self._unpost(slot)
            for token in tokens:
                self._postings.setdefault(token, set()).add(slot)
                self._arrays.pop(token, None)
            self._tokens[slot] = tokens
        eff = pattern.effectiveness
        self._entries[slot] = pattern
        self._quality[slot] = quality
        self._helped[slot] = eff.helped_weight
        self._hindered[slot] = eff.hindered_weight
        self._last_used[slot] = eff.last_used_at.timestamp() if eff.last_used_at else np.nan
        self._token_count[slot] = len(tokens)
        self._alive[slot] = True
        self._contexts.set(slot, pattern.context)

    def _unpost(self, slot: int) -> None:
        for token in self._tokens[slot]:
            posting = self._postings[token]
            posting.discard(slot)
            self._arrays.pop(token, None)
            if not posting:
                del self._postings[token]

    def remove(self, pattern_id: uuid.UUID) -> None:
        """Drop a pattern; unknown ids are ignored."""
        slot = self._slot_of.pop(pattern_id, None)
        if slot is None:
            return
        self._unpost(slot)
        self._tokens[slot] = frozenset()
        self._entries[slot] = None
        self._alive[slot] = False
        self._contexts.clear(slot)
        self._free.append(slot)

    def _posting(self, token: str) -> npt.NDArray[np.intp]:
        array = self._arrays.get(token)
        if array is None:
            array = self._arrays[token] = np.fromiter(self._postings[token], dtype=np.intp)
        return array

    def search(
        self,
        *,
        query_tokens: frozenset[str],
        context: TaskContext,
        weights: Mapping[str, float],
        now: float,
        half_life_days: float,
        limit: int,
    ) -> list[tuple[Pattern, float, dict[str, float]]]:
        """The ``limit`` best patterns, best first (ties broken by id)."""
        used = len(self._entries)
        slots = np.flatnonzero(self._alive[:used])
        if len(slots) == 0:
            return []
        overlap = np.zeros(used, dtype=np.float64)
        for token in query_tokens:
            if token in self._postings:
                overlap[self._posting(token)] += 1.0
        counts = self._token_count[slots]
        relevance = np.zeros(len(slots), dtype=np.float64)
        if query_tokens:
            has = counts > 0
            relevance[has] = overlap[slots][has] / np.sqrt(len(query_tokens) * counts[has])
        last = self._last_used[slots]
        age_days = np.where(np.isnan(last), 0.0, np.maximum(0.0, now - last) / 86_400.0)
        factor = 0.5 ** (age_days / half_life_days)
        helped = self._helped[slots] * factor
        hindered = self._hindered[slots] * factor
        signals = {
            "context": self._contexts.match(context, slots),
            "relevance": relevance,
            "quality": self._quality[slots],
            "effectiveness": (helped + 1.0) / (helped + hindered + 2.0),
        }
        fused = fuse(signals, weights, _SIGNALS, len(slots))
        entries = self._entries

        def tie_key(i: int) -> bytes:
            pattern = entries[int(slots[i])]
            assert pattern is not None
            return pattern.id.bytes

        results = []
        for i in top_rows(fused, limit, tie_key):
            pattern = entries[slots[i]]
            assert pattern is not None
            breakdown = {name: float(signals[name][i]) for name in _SIGNALS}
            results.append((pattern, float(fused[i]), breakdown))
        return results
