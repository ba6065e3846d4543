"""Zero-trust validation: every violation raises ValidationError and writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from memory_core import (
    ExecutionStep,
    Limits,
    MemoryConfig,
    SelfLearningMemory,
    TaskContext,
    TaskOutcome,
    ValidationError,
)
from memory_core.storage import InMemoryStorage

pytestmark = pytest.mark.anyio
CTX = TaskContext(language="python", domain="web", tags=["api"])


@pytest.fixture
async def memory() -> AsyncIterator[SelfLearningMemory]:
    async with SelfLearningMemory(storage=InMemoryStorage()) as mem:
        yield mem


async def snapshot(memory: SelfLearningMemory) -> list[bytes]:
    from memory_core.codec import encode_msgpack

    episodes = await memory.list_episodes(limit=1000)
    return sorted(encode_msgpack(e) for e in episodes)


async def assert_rejected(
    memory: SelfLearningMemory,
    call: Callable[[], Awaitable[Any]],
    *fragments: str,
) -> ValidationError:
    before = await snapshot(memory)
    with pytest.raises(ValidationError) as info:
        await call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert await snapshot(memory) == before, "a rejected call wrote something"
    return info.value


@pytest.mark.parametrize(
    ("description", "fragments"),
    [
        ("", ("task_description", "empty")),
        ("   \n", ("task_description", "empty")),
        ("x" * 10_001, ("task_description", "10001", "10000")),
        ("nul \x00 byte", ("task_description", "NUL")),
        ("lone \ud800 surrogate", ("task_description", "surrogate")),
        (42, ("task_description", "string")),
    ],
)
async def test_start_episode_rejects_bad_description(
    memory: SelfLearningMemory, description: Any, fragments: tuple[str, ...]
) -> None:
    await assert_rejected(memory, lambda: memory.start_episode(description, CTX), *fragments)


async def test_description_at_the_limit_is_accepted(memory: SelfLearningMemory) -> None:
    episode = await memory.start_episode("y" * 10_000, CTX)
    assert len((await memory.get_episode(episode.id)).task_description) == 10_000


@pytest.mark.parametrize(
    ("context", "fragments"),
    [
        (TaskContext(domain=""), ("context.domain", "empty")),
        (TaskContext(domain="web", tags=["a"]), ("context.tags[0]", "2-100")),
        (TaskContext(domain="web", tags=["x" * 101]), ("context.tags[0]", "2-100")),
        (TaskContext(domain="web", tags=["no spaces"]), ("context.tags[0]", "a-z")),
        (TaskContext(domain="web", tags=[f"t{i:02d}" for i in range(33)]), ("32",)),
        (TaskContext(domain="web\x07"), ("context.domain", "control")),
        (TaskContext(domain="web", complexity="huge"), ("context.complexity",)),  # type: ignore[arg-type]
        ({"domain": "web"}, ("context", "TaskContext")),
    ],
)
async def test_bad_context(
    memory: SelfLearningMemory, context: Any, fragments: tuple[str, ...]
) -> None:
    await assert_rejected(memory, lambda: memory.start_episode("task", context), *fragments)


async def test_tags_are_normalized(memory: SelfLearningMemory) -> None:
    episode = await memory.start_episode(
        "task", TaskContext(domain="Web", tags=[" API ", "api", "Rest_v2"]), tags=["Fast-Path"]
    )
    assert episode.context.tags == ("api", "rest_v2")
    assert episode.context.domain == "web"
    assert episode.tags == ("fast-path",)


async def test_metadata_must_be_json(memory: SelfLearningMemory) -> None:
    await assert_rejected(
        memory, lambda: memory.start_episode("t", CTX, metadata={"x": object()}), "metadata"
    )
    await assert_rejected(
        memory, lambda: memory.start_episode("t", CTX, metadata={"x": float("nan")}), "non-finite"
    )
    await assert_rejected(
        memory, lambda: memory.start_episode("t", CTX, metadata={1: "x"}), "keys must be strings"
    )


def good_step(**overrides: Any) -> ExecutionStep:
    fields: dict[str, Any] = {"tool": "pytest", "action": "run tests", "observation": "ok"}
    fields.update(overrides)
    return ExecutionStep(**fields)


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        ({"tool": ""}, ("step.tool", "empty")),
        ({"tool": 3}, ("step.tool", "string")),
        ({"tool": "x" * 201}, ("step.tool", "200")),
        ({"action": "a\nb"}, ("step.action", "control")),
        ({"observation": "o" * 10_001}, ("step.observation", "10000")),
        ({"observation": "has \x00 nul"}, ("step.observation", "NUL")),
        ({"error": "e" * 10_001}, ("step.error", "10000")),
        ({"latency_ms": -1}, ("step.latency_ms",)),
        ({"latency_ms": 1.5}, ("step.latency_ms", "integer")),
        ({"tokens": True}, ("step.tokens", "integer")),
        ({"success": "yes"}, ("step.success", "bool")),
        ({"parameters": {"blob": "x" * (1024 * 1024)}}, ("step.parameters", "1048576")),
        ({"parameters": ["not", "a", "dict"]}, ("step.parameters", "mapping")),
        ({"parameters": {"f": float("inf")}}, ("step.parameters", "non-finite")),
        ({"parameters": {"n": [2**70]}}, ("step.parameters", "integer outside")),
        ({"timestamp": datetime(2026, 1, 1)}, ("step.timestamp", "timezone")),
    ],
)
async def test_log_step_rejects(
    memory: SelfLearningMemory, overrides: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    episode = await memory.start_episode("task", CTX)
    await assert_rejected(
        memory, lambda: memory.log_step(episode.id, good_step(**overrides)), *fragments
    )
    assert (await memory.get_episode(episode.id)).steps == ()


async def test_free_text_control_characters_are_escaped(memory: SelfLearningMemory) -> None:
    episode = await memory.start_episode("task", CTX)
    await memory.log_step(episode.id, good_step(observation="\x1b[31mred\x1b[0m\tok\n"))
    stored = (await memory.get_episode(episode.id)).steps[0]
    assert stored.observation == "\\x1b[31mred\\x1b[0m\tok\n"


async def test_hostile_strings_are_data(memory: SelfLearningMemory) -> None:
    hostile = "'); DROP TABLE episodes; -- \" OR 1=1 \u2603 \U0001d518nicode"
    episode = await memory.start_episode(hostile, CTX)
    await memory.log_step(episode.id, good_step(observation=hostile, action="select * from x;"))
    stored = await memory.get_episode(episode.id)
    assert stored.task_description == hostile
    assert stored.steps[0].observation == hostile


async def test_step_count_limit(memory: SelfLearningMemory) -> None:
    config = MemoryConfig(limits=Limits(max_steps_per_episode=3))
    async with SelfLearningMemory(config) as small:
        episode = await small.start_episode("task", CTX)
        for _ in range(3):
            await small.log_step(episode.id, good_step())
        await assert_rejected(
            small, lambda: small.log_step(episode.id, good_step()), "episode.steps", "limit is 3"
        )


async def test_episode_size_limit() -> None:
    config = MemoryConfig(limits=Limits(max_episode_bytes=5_000))
    async with SelfLearningMemory(config) as small:
        episode = await small.start_episode("task", CTX)
        await small.log_step(episode.id, good_step(observation="o" * 3_000))
        await assert_rejected(
            small,
            lambda: small.log_step(episode.id, good_step(observation="o" * 3_000)),
            "episode",
            "5000 bytes",
        )
        assert len((await small.get_episode(episode.id)).steps) == 1


@pytest.mark.parametrize(
    ("outcome", "fragments"),
    [
        (TaskOutcome(success=False, status="success"), ("outcome.status", "success")),
        (TaskOutcome(success=True, status="failure"), ("outcome.status",)),
        (TaskOutcome(success=True, status="done"), ("outcome.status",)),  # type: ignore[arg-type]
        (TaskOutcome(success=True, duration_ms=-5), ("outcome.duration_ms",)),
        (TaskOutcome(success=True, result="r" * 10_001), ("outcome.result", "10000")),
        (TaskOutcome(success=True, artifacts=[""]), ("outcome.artifacts[0]", "empty")),
        (TaskOutcome(success=True, artifacts=["a"] * 101), ("outcome.artifacts", "100")),
        (TaskOutcome(success=1), ("outcome.success", "bool")),  # type: ignore[arg-type]
    ],
)
async def test_complete_rejects_bad_outcome(
    memory: SelfLearningMemory, outcome: TaskOutcome, fragments: tuple[str, ...]
) -> None:
    episode = await memory.start_episode("task", CTX)
    await assert_rejected(memory, lambda: memory.complete_episode(episode.id, outcome), *fragments)
    assert not (await memory.get_episode(episode.id)).is_completed


@pytest.mark.parametrize("bad_id", ["not-a-uuid", 12, None, "x" * 100, b"\x00" * 16])
async def test_bad_ids(memory: SelfLearningMemory, bad_id: Any) -> None:
    await assert_rejected(memory, lambda: memory.get_episode(bad_id), "episode_id", "UUID")
    await assert_rejected(memory, lambda: memory.log_step(bad_id, good_step()), "episode_id")


@pytest.mark.parametrize("limit", [0, -1, 1001, 2.5, "5", True])
async def test_limit_bounds(memory: SelfLearningMemory, limit: Any) -> None:
    await assert_rejected(
        memory, lambda: memory.retrieve_relevant_context("task", CTX, limit), "limit"
    )
    await assert_rejected(memory, lambda: memory.list_episodes(limit=limit), "limit")


async def test_list_filter_arguments(memory: SelfLearningMemory) -> None:
    await assert_rejected(memory, lambda: memory.list_episodes(offset=-1), "offset")
    await assert_rejected(memory, lambda: memory.list_episodes(outcome="won"), "outcome")  # type: ignore[arg-type]
    await assert_rejected(memory, lambda: memory.list_episodes(since=datetime(2020, 1, 1)), "since")
    await assert_rejected(memory, lambda: memory.list_episodes(tags=["a b"]), "tags[0]")


async def test_validation_error_is_a_value_error(memory: SelfLearningMemory) -> None:
    with pytest.raises(ValueError, match="task_description") as info:
        await memory.start_episode("", CTX)
    assert isinstance(info.value, ValidationError)
    assert info.value.field == "task_description"


def test_config_is_validated() -> None:
    with pytest.raises(ValidationError, match="max_tags"):
        Limits(max_tags=0)
    with pytest.raises(ValidationError, match="backpressure"):
        MemoryConfig(backpressure="drop")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="config"):
        SelfLearningMemory({"limits": None})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="embedding_dim"):
        MemoryConfig(embedding_dim=4)


async def test_unknown_episode_is_not_found(memory: SelfLearningMemory) -> None:
    from memory_core import NotFoundError

    missing = uuid.uuid4()
    with pytest.raises(NotFoundError, match=str(missing)):
        await memory.log_step(missing, good_step())
    with pytest.raises(NotFoundError):
        await memory.complete_episode(missing, TaskOutcome(success=True))
    with pytest.raises(NotFoundError):
        await memory.delete_episode(missing)
