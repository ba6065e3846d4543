"""What observability costs: the lifecycle with and without instrumentation, in one run.

"Instrumented" is the library as shipped: every operation and storage call is
counted, timed into a window and a histogram, puts its context on log records and
asks for a span (a free no-op without an OpenTelemetry SDK). "Bare" swaps
``OperationCounters.track`` for an empty context manager and bypasses the
storage wrapper, which is what the code did before it was instrumented. The two
alternate, 200 lifecycles (start, 20 steps, complete) per round, so machine noise
hits both alike. With ``--otel`` an SDK tracer provider with a no-export span
processor is installed first, to price real spans too::

    python benchmarks/compare_instrumentation.py [--rounds 6] [--otel]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))

import bench_lifecycle

import memory_core.stats as stats_module
from memory_core import SelfLearningMemory

EPISODES = 200


class _Untracked:
    """What ``track`` returns in the bare variant: a context manager that does nothing."""

    def __enter__(self) -> _Untracked:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def bind_episode(self, episode_id: object) -> None:
        pass


_UNTRACKED = _Untracked()


def _bare_track(self: object, name: str) -> _Untracked:
    return _UNTRACKED


_instrumented_track = stats_module.OperationCounters.track
_instrumented_init = SelfLearningMemory.__init__


def _bare_init(self: SelfLearningMemory, *args: Any, **kwargs: Any) -> None:
    _instrumented_init(self, *args, **kwargs)
    self._store = self.storage  # the storage wrapper out of the path


def _use(instrumented: bool) -> None:
    track: Any = _instrumented_track if instrumented else _bare_track
    stats_module.OperationCounters.track = track  # type: ignore[method-assign]
    SelfLearningMemory.__init__ = _instrumented_init if instrumented else _bare_init  # type: ignore[method-assign]


def _install_sdk() -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    class _Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_Discard()))
    trace.set_tracer_provider(provider)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--otel", action="store_true", help="install an SDK tracer provider")
    args = parser.parse_args()
    if args.otel:
        _install_sdk()
    seconds: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.rounds):
        for instrumented in (True, False):
            _use(instrumented)
            seconds[instrumented].append(
                anyio.run(bench_lifecycle.run_lifecycles, "trio", 0, EPISODES, backend="trio")
            )
    _use(True)
    bare = statistics.median(seconds[False]) * 1000
    full = statistics.median(seconds[True]) * 1000
    label = "instrumented + SDK spans" if args.otel else "instrumented"
    print(f"| variant | per episode (median of {args.rounds} rounds of {EPISODES}) |")
    print("|---|---:|")
    print(f"| bare | {bare:.3f} ms |")
    print(f"| {label} | {full:.3f} ms ({100 * (full / bare - 1):+.1f} %) |")


if __name__ == "__main__":
    main()
