"""Latency histograms and process-wide counters behind ``stats()`` and ``/metrics``.

Histograms have fixed bucket bounds (Prometheus-style, cumulative when
exported) so they can be summed across processes and namespaces; the
percentiles in :class:`memory_core.stats.OperationStats` come from a window of
recent calls instead, which is exact for the recent past.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter

import msgspec

__all__ = [
    "LATENCY_BOUNDS_MS",
    "HistogramSnapshot",
    "LatencyHistogram",
    "count_storage_retry",
    "storage_retries",
]

#: Upper bounds (milliseconds) of the latency buckets; the last bucket is +Inf.
LATENCY_BOUNDS_MS: tuple[float, ...] = (
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    25.0,
    50.0,
    100.0,
    250.0,
    500.0,
    1000.0,
    2500.0,
    5000.0,
    10000.0,
)


class HistogramSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Cumulative bucket counts: ``counts[i]`` calls took at most ``bounds_ms[i]``.

    ``count`` is every call (the +Inf bucket) and ``sum_ms`` their total time.
    """

    bounds_ms: tuple[float, ...]
    counts: tuple[int, ...]
    count: int
    sum_ms: float


class LatencyHistogram:
    """Counts durations into :data:`LATENCY_BOUNDS_MS` buckets."""

    __slots__ = ("_buckets", "_count", "_sum_ms")

    def __init__(self) -> None:
        self._buckets = [0] * (len(LATENCY_BOUNDS_MS) + 1)
        self._count = 0
        self._sum_ms = 0.0

    def observe(self, seconds: float) -> None:
        """Record one duration."""
        ms = seconds * 1000.0
        self._buckets[bisect.bisect_left(LATENCY_BOUNDS_MS, ms)] += 1
        self._count += 1
        self._sum_ms += ms

    def snapshot(self) -> HistogramSnapshot:
        """The cumulative counts so far."""
        cumulative: list[int] = []
        running = 0
        for count in self._buckets[:-1]:
            running += count
            cumulative.append(running)
        return HistogramSnapshot(
            bounds_ms=LATENCY_BOUNDS_MS,
            counts=tuple(cumulative),
            count=self._count,
            sum_ms=self._sum_ms,
        )


_retries: Counter[str] = Counter()
_retries_lock = threading.Lock()


def count_storage_retry(backend: str) -> None:
    """Count one retried storage request of ``backend`` (called by storage packages)."""
    with _retries_lock:
        _retries[backend] += 1


def storage_retries() -> dict[str, int]:
    """Retried storage requests in this process so far, per backend."""
    with _retries_lock:
        return dict(_retries)
