"""Observable counters: calls, errors and latency per operation, and the stats snapshot.

:meth:`OperationCounters.track` is the one place an operation is instrumented:
it counts the call, times it into a window and a histogram, opens a tracing
span, puts the operation (and, once bound, the episode id) on every log record
made inside, and logs the outcome.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from types import TracebackType
from typing import Any

import msgspec

from .errors import EpisodeStateError, NotFoundError, ValidationError
from .learning.service import LearningStats
from .observability._context import reset_field, set_field
from .observability.metrics import HistogramSnapshot, LatencyHistogram
from .observability.tracing import start_span
from .redaction import RedactionStats
from .retrieval.engine import RetrievalStats

__all__ = [
    "MemoryStats",
    "OperationCounters",
    "OperationStats",
    "StorageMetrics",
    "TrackedCall",
]

_LATENCY_WINDOW = 1024
# Errors that answer a caller's mistake: routine, logged at INFO. Anything else is WARNING.
_CALLER_ERRORS = (ValidationError, NotFoundError, EpisodeStateError)


class OperationStats(msgspec.Struct, frozen=True, kw_only=True):
    """Calls, failed calls and latency of one operation.

    Percentiles cover the last 1,024 calls; ``histogram`` covers every call.
    """

    calls: int
    errors: int
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    histogram: HistogramSnapshot


class StorageMetrics(msgspec.Struct, frozen=True, kw_only=True):
    """How the memory's storage is doing.

    ``calls`` has one entry per storage method the memory called; ``retries``
    counts retried requests of remote backends in this process (all memories);
    ``cache_hits`` / ``cache_misses`` are the tiered cache's lookups (``None``
    without a cache).
    """

    calls: dict[str, OperationStats]
    retries: int
    cache_hits: int | None
    cache_misses: int | None

    @property
    def cache_hit_rate(self) -> float | None:
        """Share of cache lookups that hit, or ``None`` without a cache or lookups."""
        if self.cache_hits is None or self.cache_misses is None:
            return None
        total = self.cache_hits + self.cache_misses
        return self.cache_hits / total if total else None


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
    storage_metrics: StorageMetrics
    uptime_s: float
    #: Secrets replaced before storing (see :class:`memory_core.redaction.RedactionConfig`).
    redaction: RedactionStats = msgspec.field(
        default_factory=lambda: RedactionStats(enabled=False, values_redacted=0, by_kind={})
    )


class _Operation:
    __slots__ = ("calls", "errors", "histogram", "latencies", "span_name", "total_s")

    def __init__(self, span_name: str) -> None:
        self.span_name = span_name
        self.calls = 0
        self.errors = 0
        self.total_s = 0.0
        self.latencies: deque[float] = deque(maxlen=_LATENCY_WINDOW)
        self.histogram = LatencyHistogram()


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


class TrackedCall:
    """One tracked call (the context manager :meth:`OperationCounters.track` returns).

    Inside the block, :meth:`bind_episode` names the episode the call is about.
    A class rather than a generator: it wraps every operation and storage call.
    """

    __slots__ = (
        "_counters",
        "_name",
        "_operation",
        "_operation_token",
        "_span",
        "_span_manager",
        "_start",
        "_token",
        "episode_id",
    )

    def __init__(self, counters: OperationCounters, name: str, operation: _Operation) -> None:
        self._counters = counters
        self._name = name
        self._operation = operation
        self._span: Any = None
        self._span_manager: Any = None
        self._token: Any = None
        self._operation_token: Any = None
        self._start = 0.0
        self.episode_id: str | None = None

    def bind_episode(self, episode_id: uuid.UUID | str) -> None:
        """Put ``episode_id`` on the span and on log records for the rest of the call."""
        self.episode_id = str(episode_id)
        if self._token is None:
            self._token = set_field("episode_id", self.episode_id)
        if self._span is not None:
            self._span.set_attribute("memory.episode_id", self.episode_id)

    def __enter__(self) -> TrackedCall:
        counters = self._counters
        if counters._log_context:
            self._operation_token = set_field("operation", self._name)
        manager = start_span(self._operation.span_name)
        if manager is not None:
            self._span_manager = manager
            self._span = manager.__enter__()
        self._start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        elapsed = time.perf_counter() - self._start
        operation = self._operation
        operation.calls += 1
        operation.total_s += elapsed
        operation.latencies.append(elapsed)
        operation.histogram.observe(elapsed)
        counters = self._counters
        try:
            if exc is not None:
                operation.errors += 1
                counters._log_failure(self._name, exc, elapsed)
            elif counters._logger.isEnabledFor(logging.DEBUG):
                counters._logger.debug("%s ok in %.2f ms", operation.span_name, 1000.0 * elapsed)
        finally:
            if self._span_manager is not None:
                self._span_manager.__exit__(exc_type, exc, tb)
            if self._token is not None:
                reset_field("episode_id", self._token)
            if self._operation_token is not None:
                reset_field("operation", self._operation_token)


class OperationCounters:
    """Counts calls and measures their latency; ``track`` wraps one call.

    Args:
        span_prefix: first part of the span names (``memory.start_episode``).
        logger: where outcomes are logged (each call at DEBUG, failures higher).
        log_context: whether the operation name goes on log records made inside.
    """

    def __init__(
        self,
        span_prefix: str = "memory",
        *,
        logger: logging.Logger | None = None,
        log_context: bool = True,
    ) -> None:
        self.started = time.monotonic()
        self._operations: dict[str, _Operation] = {}
        self._prefix = span_prefix
        self._logger = logger or logging.getLogger("memory_core")
        self._log_context = log_context

    def track(self, name: str) -> TrackedCall:
        """Count one call of ``name`` (``with counters.track("x") as call:``).

        An exception counts as an error, is logged and propagates unchanged.
        """
        operation = self._operations.get(name)
        if operation is None:
            operation = self._operations[name] = _Operation(f"{self._prefix}.{name}")
        return TrackedCall(self, name, operation)

    def _log_failure(self, name: str, exc: BaseException, elapsed: float) -> None:
        if not isinstance(exc, Exception):
            return  # cancellation and exits are not failures of the operation
        level = logging.INFO if isinstance(exc, _CALLER_ERRORS) else logging.WARNING
        self._logger.log(
            level,
            "%s.%s failed after %.2f ms: %s: %s",
            self._prefix,
            name,
            1000.0 * elapsed,
            type(exc).__name__,
            exc,
            extra={"error_type": type(exc).__name__},
        )

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
                p99_ms=1000.0 * _percentile(window, 0.99),
                histogram=operation.histogram.snapshot(),
            )
        return result
