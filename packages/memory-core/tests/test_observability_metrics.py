"""Metrics in ``stats()``: operation and storage-call counters, percentiles and histograms."""

from __future__ import annotations

from pathlib import Path

import pytest

from memory_core import ExecutionStep, SelfLearningMemory, TaskContext, TaskOutcome
from memory_core.errors import NotFoundError
from memory_core.observability import (
    LATENCY_BOUNDS_MS,
    LatencyHistogram,
    count_storage_retry,
    storage_retries,
)
from memory_core.storage import InMemoryStorage, TieredStorage
from memory_storage_redb import RedbCache

pytestmark = pytest.mark.anyio

CONTEXT = TaskContext(domain="web", language="python")


def test_histogram_buckets_are_cumulative() -> None:
    histogram = LatencyHistogram()
    for seconds in (0.0001, 0.0004, 0.003, 0.003, 20.0):
        histogram.observe(seconds)
    snapshot = histogram.snapshot()
    assert snapshot.bounds_ms == LATENCY_BOUNDS_MS
    assert snapshot.count == 5
    assert snapshot.sum_ms == pytest.approx(20006.5)
    by_bound = dict(zip(snapshot.bounds_ms, snapshot.counts, strict=True))
    assert by_bound[0.25] == 1
    assert by_bound[0.5] == 2
    assert by_bound[2.5] == 2
    assert by_bound[5.0] == 4
    assert by_bound[10000.0] == 4  # 20 s lands only in the +Inf bucket (count)
    assert list(snapshot.counts) == sorted(snapshot.counts)


def test_retry_counter_is_per_backend() -> None:
    before = storage_retries().get("test-backend", 0)
    count_storage_retry("test-backend")
    count_storage_retry("test-backend")
    assert storage_retries()["test-backend"] == before + 2


async def test_stats_count_operations_storage_calls_and_errors() -> None:
    async with SelfLearningMemory() as memory:
        for n in range(3):
            episode = await memory.start_episode(f"Task {n}", CONTEXT)
            await memory.log_step(episode.id, ExecutionStep(tool="sh", action="make"))
            await memory.complete_episode(episode.id, TaskOutcome(success=True))
        await memory.retrieve_relevant_context("Task", CONTEXT)
        with pytest.raises(NotFoundError):
            await memory.get_episode("6f1c7e0e-1d4b-4a53-9d49-5a1d4f0e3b11")
        stats = await memory.stats()
    ops = stats.operations
    assert ops["start_episode"].calls == 3
    assert ops["complete_episode"].calls == 3
    assert ops["get_episode"].calls == 1
    assert ops["get_episode"].errors == 1
    for name in ("start_episode", "log_step", "complete_episode", "retrieve_relevant_context"):
        operation = ops[name]
        assert operation.histogram.count == operation.calls
        assert operation.p50_ms <= operation.p95_ms <= operation.p99_ms
        assert operation.histogram.sum_ms == pytest.approx(operation.mean_ms * operation.calls)
    calls = stats.storage_metrics.calls
    # start, log and complete each write the episode once; log and complete read it first.
    assert calls["put_episode"].calls == 9
    assert calls["get_episode"].calls >= 7
    assert calls["put_episode"].errors == 0
    assert stats.storage_metrics.cache_hits is None  # no cache in front of this storage
    assert stats.storage_metrics.cache_hit_rate is None


async def test_tiered_storage_reports_cache_hits(tmp_path: Path) -> None:
    storage = TieredStorage(InMemoryStorage(), RedbCache(tmp_path / "cache.redb"))
    async with SelfLearningMemory(storage=storage) as memory:
        episode = await memory.start_episode("Cache me", CONTEXT)
        for _ in range(3):
            await memory.get_episode(episode.id)
        stats = await memory.stats()
    metrics = stats.storage_metrics
    assert metrics.cache_hits is not None
    assert metrics.cache_misses is not None
    assert metrics.cache_hits >= 3
    assert metrics.cache_hit_rate is not None
    assert 0.0 < metrics.cache_hit_rate <= 1.0
