"""Prometheus text exposition of every open namespace's :class:`MemoryStats`.

Served by the HTTP transport at ``/metrics`` (behind the same bearer auth as
``/mcp``). Only namespaces that are open are reported: scraping must not open
(and so create) a namespace's store. Durations are in seconds, as Prometheus
conventions ask; histogram buckets are cumulative with a final ``+Inf``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from memory_core.observability import HistogramSnapshot, storage_retries
from memory_core.stats import MemoryStats, OperationStats

from .namespaces import MemoryPool

__all__ = ["CONTENT_TYPE", "render_prometheus", "render_stats"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Labels = Mapping[str, str]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items())
    return "{" + inner + "}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


class _Exposition:
    """Collects samples by metric family, then prints each family once with HELP/TYPE."""

    def __init__(self) -> None:
        self._families: dict[str, tuple[str, str, list[str]]] = {}

    def add(self, name: str, kind: str, help_text: str, labels: Labels, value: float) -> None:
        self._family(name, kind, help_text).append(f"{name}{_labels(labels)} {_number(value)}")

    def histogram(
        self, name: str, help_text: str, labels: Labels, snapshot: HistogramSnapshot
    ) -> None:
        samples = self._family(name, "histogram", help_text)
        for bound_ms, count in zip(snapshot.bounds_ms, snapshot.counts, strict=True):
            le = {**labels, "le": _number(bound_ms / 1000.0)}
            samples.append(f"{name}_bucket{_labels(le)} {count}")
        samples.append(f"{name}_bucket{_labels({**labels, 'le': '+Inf'})} {snapshot.count}")
        samples.append(f"{name}_sum{_labels(labels)} {_number(snapshot.sum_ms / 1000.0)}")
        samples.append(f"{name}_count{_labels(labels)} {snapshot.count}")

    def _family(self, name: str, kind: str, help_text: str) -> list[str]:
        if name not in self._families:
            self._families[name] = (kind, help_text, [])
        return self._families[name][2]

    def text(self) -> str:
        lines: list[str] = []
        for name, (kind, help_text, samples) in self._families.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples]
        return "\n".join(lines) + "\n"


def _operations(
    out: _Exposition,
    prefix: str,
    what: str,
    label: str,
    namespace: str,
    operations: Mapping[str, OperationStats],
) -> None:
    for name, operation in operations.items():
        labels = {"namespace": namespace, label: name}
        out.histogram(
            f"{prefix}_duration_seconds", f"Latency of {what}.", labels, operation.histogram
        )
        out.add(f"{prefix}_errors_total", "counter", f"Failed {what}.", labels, operation.errors)


def _namespace(out: _Exposition, namespace: str, stats: MemoryStats) -> None:
    ns = {"namespace": namespace}
    gauges = (
        ("memory_episodes", "Stored episodes.", stats.episodes),
        ("memory_completed_episodes", "Stored completed episodes.", stats.completed_episodes),
        ("memory_indexed_episodes", "Episodes in the retrieval index.", stats.indexed_episodes),
        ("memory_patterns", "Stored patterns.", stats.patterns),
        ("memory_heuristics", "Stored heuristics.", stats.heuristics),
        ("memory_uptime_seconds", "Seconds since the memory opened.", stats.uptime_s),
    )
    for name, help_text, value in gauges:
        out.add(name, "gauge", help_text, ns, value)
    _operations(
        out, "memory_operation", "memory operations", "operation", namespace, stats.operations
    )
    _operations(
        out,
        "memory_storage_call",
        "storage calls",
        "method",
        namespace,
        stats.storage_metrics.calls,
    )
    queue = stats.learning.queue
    out.add(
        "memory_learning_queue_depth", "gauge", "Episodes waiting to be learned.", ns, queue.depth
    )
    out.add(
        "memory_learning_queue_lag_seconds",
        "gauge",
        "Wait of the last learned batch in the queue.",
        ns,
        queue.lag_s,
    )
    out.add("memory_learning_processed_total", "counter", "Episodes learned.", ns, queue.processed)
    out.add(
        "memory_learning_failed_total",
        "counter",
        "Episodes whose learning failed.",
        ns,
        queue.failed,
    )
    out.add(
        "memory_learning_rejected_total",
        "counter",
        "Episodes refused by a full learning queue.",
        ns,
        queue.rejected,
    )
    for kind, count in stats.redaction.by_kind.items():
        out.add(
            "memory_redacted_values_total",
            "counter",
            "Secrets replaced before storing, by detector.",
            {**ns, "kind": kind},
            count,
        )
    caches: list[tuple[str, int | None, int | None]] = [
        ("retrieval", stats.retrieval.cache_hits, stats.retrieval.cache_misses),
        ("storage", stats.storage_metrics.cache_hits, stats.storage_metrics.cache_misses),
    ]
    for cache, hits, misses in caches:
        if hits is None or misses is None:
            continue
        labels = {**ns, "cache": cache}
        out.add("memory_cache_hits_total", "counter", "Cache lookups that hit.", labels, hits)
        out.add(
            "memory_cache_misses_total", "counter", "Cache lookups that missed.", labels, misses
        )


def render_stats(
    stats_by_namespace: Mapping[str, MemoryStats], open_namespaces: Iterable[str]
) -> str:
    """Prometheus text for these namespaces' stats plus process-wide counters."""
    out = _Exposition()
    out.add(
        "memory_open_namespaces",
        "gauge",
        "Namespaces with an open memory.",
        {},
        len(list(open_namespaces)),
    )
    for backend, count in sorted(storage_retries().items()):
        out.add(
            "memory_storage_retries_total",
            "counter",
            "Storage requests retried after a transient failure (whole process).",
            {"backend": backend},
            count,
        )
    for namespace in sorted(stats_by_namespace):
        _namespace(out, namespace, stats_by_namespace[namespace])
    return out.text()


async def render_prometheus(pool: MemoryPool) -> str:
    """The metrics of every open namespace, in Prometheus text format 0.0.4."""
    stats = await pool.stats_of_open()
    return render_stats(stats, pool.open_namespaces)
