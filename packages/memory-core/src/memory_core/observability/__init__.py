"""Logs, metrics and traces: what an operator needs to watch a memory at work.

- Logging: every package logs through the standard :mod:`logging` module under
  its own name; :func:`configure_logging` adds the context fields
  (``episode_id``, ``namespace``, ``operation``), JSON output and secret
  scrubbing. :func:`log_context` sets context fields for a block.
- Metrics: ``SelfLearningMemory.stats()`` carries counters, percentiles and
  histograms (:class:`HistogramSnapshot`) of every operation and storage call.
- Tracing: with ``opentelemetry-api`` installed, operations, storage calls,
  retrieval and learning open spans (see :mod:`memory_core.observability.tracing`).
"""

from ._context import CONTEXT_FIELDS, current_context, log_context
from ._secrets import REDACTED, register_secret, scrub_secrets
from .logs import (
    LOGGERS,
    ContextFilter,
    JsonFormatter,
    LogFormat,
    SecretScrubFilter,
    configure_logging,
)
from .metrics import (
    LATENCY_BOUNDS_MS,
    HistogramSnapshot,
    LatencyHistogram,
    count_storage_retry,
    storage_retries,
)
from .tracing import TRACER_NAME, span, tracing_available

__all__ = [
    "CONTEXT_FIELDS",
    "LATENCY_BOUNDS_MS",
    "LOGGERS",
    "REDACTED",
    "TRACER_NAME",
    "ContextFilter",
    "HistogramSnapshot",
    "JsonFormatter",
    "LatencyHistogram",
    "LogFormat",
    "SecretScrubFilter",
    "configure_logging",
    "count_storage_retry",
    "current_context",
    "log_context",
    "register_secret",
    "scrub_secrets",
    "span",
    "storage_retries",
    "tracing_available",
]
