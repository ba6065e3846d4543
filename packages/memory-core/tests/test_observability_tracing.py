"""OpenTelemetry spans: the span tree of one ``complete_episode``, through the SDK's exporter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from memory_core import ExecutionStep, MemoryConfig, SelfLearningMemory, TaskContext, TaskOutcome
from memory_core.errors import NotFoundError
from memory_core.observability import log_context, span, tracing_available

pytestmark = pytest.mark.anyio

CONTEXT = TaskContext(domain="web", language="python")
_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider (set once: OpenTelemetry allows one) and a clean exporter."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def _ours(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    prefixes = ("memory.", "storage.", "lifecycle.", "retrieval.", "learning.")
    return [s for s in exporter.get_finished_spans() if s.name.startswith(prefixes)]


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[str]:
    assert parent.context is not None
    return [
        s.name
        for s in sorted(spans, key=lambda s: s.start_time or 0)
        if s.parent is not None and s.parent.span_id == parent.context.span_id
    ]


async def test_complete_episode_span_tree(spans: InMemorySpanExporter) -> None:
    assert tracing_available()
    config = MemoryConfig(learn_synchronously=True)
    async with SelfLearningMemory(config) as memory:
        # Earlier episodes with the same steps, so that learning the last one updates patterns.
        for n in range(4):
            episode = await memory.start_episode(f"Add a health endpoint {n}", CONTEXT)
            for tool in ("grep", "editor", "pytest"):
                await memory.log_step(episode.id, ExecutionStep(tool=tool, action=f"{tool} it"))
            if n < 3:
                await memory.complete_episode(episode.id, TaskOutcome(success=True))
        spans.clear()
        with log_context(namespace="team-a"):
            await memory.complete_episode(episode.id, TaskOutcome(success=True))
    finished = _ours(spans)
    roots = [s for s in finished if s.name == "memory.complete_episode"]
    assert len(roots) == 1
    root = roots[0]
    assert root.parent is None
    assert root.attributes is not None
    assert root.attributes["memory.episode_id"] == str(episode.id)
    assert root.attributes["memory.namespace"] == "team-a"
    assert root.attributes["memory.operation"] == "complete_episode"
    assert _children(finished, root) == [
        "storage.get_episode",
        "lifecycle.complete",
        "storage.put_episode",
        "retrieval.index",
        "learning.learn",
    ]
    learn = next(s for s in finished if s.name == "learning.learn")
    learned_writes = _children(finished, learn)
    assert learned_writes, "learning's storage writes are children of learning.learn"
    assert all(name.startswith("storage.") for name in learned_writes)
    assert {s.context.trace_id for s in finished if s.context} == {root.context.trace_id}


async def test_background_learning_gets_its_own_span(spans: InMemorySpanExporter) -> None:
    async with SelfLearningMemory() as memory:
        episode = await memory.start_episode("Add a health endpoint", CONTEXT)
        spans.clear()
        await memory.complete_episode(episode.id, TaskOutcome(success=True))
        await memory.wait_learned()
    finished = _ours(spans)
    root = next(s for s in finished if s.name == "memory.complete_episode")
    assert _children(finished, root)[-1] == "learning.enqueue"
    batch = next(s for s in finished if s.name == "learning.batch")
    assert batch.attributes is not None
    assert batch.attributes["memory.episodes"] == 1
    assert batch.attributes["memory.operation"] == "learn"


async def test_failed_operation_marks_its_span_as_error(spans: InMemorySpanExporter) -> None:
    async with SelfLearningMemory() as memory:
        with pytest.raises(NotFoundError):
            await memory.get_episode("6f1c7e0e-1d4b-4a53-9d49-5a1d4f0e3b11")
    failed = next(s for s in _ours(spans) if s.name == "memory.get_episode")
    assert failed.status.status_code is StatusCode.ERROR
    assert any(event.name == "exception" for event in failed.events)


def test_span_helper_drops_unset_attributes(spans: InMemorySpanExporter) -> None:
    with span("retrieval.custom", **{"memory.limit": 5, "memory.unset": None}):
        pass
    custom = next(s for s in spans.get_finished_spans() if s.name == "retrieval.custom")
    assert custom.attributes == {"memory.limit": 5}
