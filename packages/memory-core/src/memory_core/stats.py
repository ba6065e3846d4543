"""Observable counters: calls, errors and latency per operation, and the stats snapshot."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import msgspec

from .learning.service import LearningStats
from .retrieval.engine import RetrievalStats

__all__ = ["MemoryStats", "OperationCounters", "OperationStats"]

_LATENCY_WINDOW = 1024


class OperationStats(msgspec.Struct, frozen=True, kw_only=True):
    """Calls, failed calls and latency percentiles (over the last 1,024 calls) of one operation."""

    calls: int
    errors: int
    mean_ms: float
    p50_ms: float
    p95_ms: float


class MemoryStats(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of a memory: stored counts, index size and per-operation stats."""

    episodes: int
    completed_episodes: int
    indexed_episodes: int
    patterns: int
    heuristics: int
    embedder: str
    storage: str
    operations: dict[str, OperationStats]
    learning: LearningStats
    retrieval: RetrievalStats
    uptime_s: float


class _Operation:
    __slots__ = ("calls", "errors", "latencies", "total_s")

    def __init__(self) -> None:
        self.calls = 0
        self.errors = 0
        self.total_s = 0.0
        self.latencies: deque[float] = deque(maxlen=_LATENCY_WINDOW)


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


class OperationCounters:
    """Counts calls and measures their latency; ``track`` wraps one call."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._operations: dict[str, _Operation] = {}

    @contextmanager
    def track(self, name: str) -> Iterator[None]:
        """Count one call of ``name``; an exception counts as an error and propagates."""
        operation = self._operations.get(name)
        if operation is None:
            operation = self._operations[name] = _Operation()
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            operation.errors += 1
            raise
        finally:
            elapsed = time.perf_counter() - start
            operation.calls += 1
            operation.total_s += elapsed
            operation.latencies.append(elapsed)

    def snapshot(self) -> dict[str, OperationStats]:
        """Per-operation stats, keyed by operation name (sorted)."""
        result: dict[str, OperationStats] = {}
        for name in sorted(self._operations):
            operation = self._operations[name]
            window = sorted(operation.latencies)
            result[name] = OperationStats(
                calls=operation.calls,
                errors=operation.errors,
                mean_ms=1000.0 * operation.total_s / operation.calls if operation.calls else 0.0,
                p50_ms=1000.0 * _percentile(window, 0.50),
                p95_ms=1000.0 * _percentile(window, 0.95),
            )
        return result
