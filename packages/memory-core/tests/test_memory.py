"""SelfLearningMemory lifecycle end to end on in-memory storage (trio and asyncio)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import anyio
import pytest

from memory_core import (
    Episode,
    EpisodeStateError,
    ExecutionStep,
    MemoryCoreError,
    SelfLearningMemory,
    StorageError,
    TaskContext,
    TaskOutcome,
)
from memory_core.codec import encode_msgpack
from memory_core.models import utc_now
from memory_core.retrieval import SIGNALS
from memory_core.storage import InMemoryStorage, StorageBackend

pytestmark = pytest.mark.anyio


@pytest.fixture
async def memory() -> AsyncIterator[SelfLearningMemory]:
    async with SelfLearningMemory() as mem:
        yield mem


async def test_seed_example(memory: SelfLearningMemory) -> None:
    context = TaskContext(language="rust", domain="web", tags=["api"])
    episode = await memory.start_episode("Build REST API endpoint", context)
    assert episode.task_type == "code_generation"
    number = await memory.log_step(
        episode.id,
        ExecutionStep(
            tool="rustc",
            action="compile",
            latency_ms=1250,
            tokens=2500,
            success=True,
            observation="Compiled successfully",
        ),
    )
    assert number == 1
    completed = await memory.complete_episode(
        episode.id,
        TaskOutcome(success=True, result="Endpoint created", error=None, duration_ms=5000),
    )
    assert completed.reward is not None
    assert completed.reward.total == pytest.approx(1.860803423373961, abs=1e-6)
    assert completed.reflection is not None
    assert completed.reflection.successes
    assert completed.completed_at is not None
    relevant = await memory.retrieve_relevant_context("Build REST endpoint", context, 5)
    assert [r.episode.id for r in relevant] == [episode.id]
    assert set(relevant[0].breakdown) == set(SIGNALS)
    assert 0.0 < relevant[0].score <= 1.0


async def test_steps_are_numbered_and_stored(memory: SelfLearningMemory) -> None:
    episode = await memory.start_episode("Fix flaky test", TaskContext(domain="ci"))
    numbers = [
        await memory.log_step(episode.id, ExecutionStep(tool=f"t{i}", action="run", step_number=99))
        for i in range(5)
    ]
    assert numbers == [1, 2, 3, 4, 5]
    stored = await memory.get_episode(str(episode.id))
    assert [s.step_number for s in stored.steps] == numbers
    assert [s.tool for s in stored.steps] == [f"t{i}" for i in range(5)]


async def test_concurrent_steps_on_one_episode_lose_nothing(memory: SelfLearningMemory) -> None:
    episode = await memory.start_episode("Parallel work", TaskContext(domain="ci"))
    results: list[int] = []

    async def log(i: int) -> None:
        results.append(await memory.log_step(episode.id, ExecutionStep(tool=f"t{i}", action="a")))

    async with anyio.create_task_group() as tg:
        for i in range(50):
            tg.start_soon(log, i)
    assert sorted(results) == list(range(1, 51))
    stored = await memory.get_episode(episode.id)
    assert sorted(s.tool for s in stored.steps) == sorted(f"t{i}" for i in range(50))


async def test_completed_episode_is_closed_for_writes(memory: SelfLearningMemory) -> None:
    episode = await memory.start_episode("Task", TaskContext(domain="web"))
    await memory.complete_episode(episode.id, TaskOutcome(success=True))
    with pytest.raises(EpisodeStateError, match="already completed"):
        await memory.log_step(episode.id, ExecutionStep(tool="x", action="y"))
    with pytest.raises(EpisodeStateError):
        await memory.complete_episode(episode.id, TaskOutcome(success=False))
    stored = await memory.get_episode(episode.id)
    assert stored.outcome is not None
    assert stored.outcome.success


async def test_list_filters_and_paging(memory: SelfLearningMemory) -> None:
    made: list[Episode] = []
    for i in range(6):
        domain = "web" if i % 2 else "data"
        ep = await memory.start_episode(
            f"task {i}", TaskContext(domain=domain, tags=["even" if i % 2 == 0 else "odd"])
        )
        if i < 4:
            await memory.complete_episode(ep.id, TaskOutcome(success=i % 3 != 0))
        made.append(ep)
        await anyio.sleep(0.001)  # distinct start times
    newest_first = [e.id for e in reversed(made)]
    assert [e.id for e in await memory.list_episodes()] == newest_first
    assert [e.id for e in await memory.list_episodes(limit=2, offset=1)] == newest_first[1:3]
    web = await memory.list_episodes(domain="WEB")
    assert {e.context.domain for e in web} == {"web"}
    assert len(web) == 3
    assert {e.id for e in await memory.list_episodes(tags=["even"])} == {
        made[0].id,
        made[2].id,
        made[4].id,
    }
    failures = await memory.list_episodes(outcome="failure")
    assert {e.id for e in failures} == {made[0].id, made[3].id}
    recent = await memory.list_episodes(since=made[5].started_at)
    assert [e.id for e in recent] == [made[5].id]
    assert await memory.list_episodes(since=utc_now() + timedelta(days=1)) == []


async def test_delete_removes_from_storage_and_retrieval(memory: SelfLearningMemory) -> None:
    ctx = TaskContext(domain="web")
    episode = await memory.start_episode("Deploy the web service", ctx)
    await memory.complete_episode(episode.id, TaskOutcome(success=True))
    assert await memory.retrieve_relevant_context("Deploy web service", ctx)
    await memory.delete_episode(episode.id)
    assert await memory.retrieve_relevant_context("Deploy web service", ctx) == []
    assert await memory.list_episodes() == []
    stats = await memory.stats()
    assert stats.episodes == 0
    assert stats.indexed_episodes == 0


async def test_stats_counts_operations(memory: SelfLearningMemory) -> None:
    episode = await memory.start_episode("Task", TaskContext(domain="web"))
    await memory.log_step(episode.id, ExecutionStep(tool="x", action="y"))
    await memory.complete_episode(episode.id, TaskOutcome(success=True))
    with pytest.raises(EpisodeStateError):
        await memory.complete_episode(episode.id, TaskOutcome(success=True))
    stats = await memory.stats()
    assert stats.episodes == 1
    assert stats.completed_episodes == 1
    assert stats.operations["complete_episode"].calls == 2
    assert stats.operations["complete_episode"].errors == 1
    assert stats.operations["log_step"].calls == 1
    assert stats.embedder == "hashing-v1-384"
    assert stats.storage == "InMemoryStorage"


async def test_index_is_rebuilt_from_storage_on_reopen() -> None:
    storage = InMemoryStorage()
    ctx = TaskContext(domain="data", language="python")
    async with SelfLearningMemory(storage=storage) as memory:
        episode = await memory.start_episode("Load CSV into dataframe", ctx)
        await memory.complete_episode(episode.id, TaskOutcome(success=True))
        first = await memory.retrieve_relevant_context("load csv file", ctx)
    async with SelfLearningMemory(storage=storage) as reopened:
        again = await reopened.retrieve_relevant_context("load csv file", ctx)
        assert [r.episode.id for r in again] == [episode.id]
        assert again[0].breakdown["semantic"] == pytest.approx(first[0].breakdown["semantic"])


async def test_import_episodes(memory: SelfLearningMemory) -> None:
    from memory_test_utils.workloads import generate_episodes

    episodes = list(generate_episodes(50, seed=3))
    assert await memory.import_episodes(episodes) == 50
    stats = await memory.stats()
    assert stats.completed_episodes == 50
    assert stats.indexed_episodes == 50
    stored = await memory.get_episode(episodes[0].id)
    assert stored.reward is not None
    assert stored.reflection is not None
    # Import is idempotent per id.
    assert await memory.import_episodes(episodes[:5]) == 5
    assert (await memory.stats()).episodes == 50


async def test_import_is_all_or_nothing(memory: SelfLearningMemory) -> None:
    import msgspec

    from memory_core import ValidationError
    from memory_test_utils.workloads import generate_episodes

    episodes = list(generate_episodes(5, seed=4))
    episodes[3] = msgspec.structs.replace(episodes[3], task_description="")
    with pytest.raises(ValidationError, match=r"episodes\[3\]"):
        await memory.import_episodes(episodes)
    assert (await memory.stats()).episodes == 0
    in_progress = msgspec.structs.replace(
        episodes[0], outcome=None, completed_at=None, reward=None, reflection=None
    )
    with pytest.raises(EpisodeStateError, match="completed"):
        await memory.import_episodes([in_progress])


async def test_methods_require_open_memory() -> None:
    memory = SelfLearningMemory()
    with pytest.raises(MemoryCoreError, match="async with"):
        await memory.start_episode("t", TaskContext())
    async with memory:
        with pytest.raises(MemoryCoreError, match="already open"):
            await memory.__aenter__()
    with pytest.raises(MemoryCoreError, match="not open"):
        await memory.stats()


class BrokenStorage(InMemoryStorage):
    """A store that cannot be opened, or fails writes on demand."""

    def __init__(self, *, fail_open: bool = False) -> None:
        super().__init__()
        self.fail_open = fail_open
        self.fail_writes = False

    async def open(self) -> None:
        if self.fail_open:
            raise StorageError("store unreachable: connection refused")
        await super().open()

    async def put_episodes(self, episodes: Sequence[Episode]) -> None:
        if self.fail_writes:
            raise StorageError("disk full")
        await super().put_episodes(episodes)


async def test_open_failure_is_raised_as_the_typed_error() -> None:
    storage: StorageBackend = BrokenStorage(fail_open=True)
    with pytest.raises(StorageError, match="unreachable"):
        async with SelfLearningMemory(storage=storage):
            pytest.fail("must not enter")


async def test_error_inside_block_leaves_unwrapped() -> None:
    async def misuse() -> None:
        async with SelfLearningMemory() as memory:
            episode = await memory.start_episode("t", TaskContext())
            await memory.complete_episode(episode.id, TaskOutcome(success=True))
            await memory.complete_episode(episode.id, TaskOutcome(success=True))

    with pytest.raises(EpisodeStateError):
        await misuse()


async def test_storage_failure_on_complete_keeps_episode_in_progress() -> None:
    storage = BrokenStorage()
    async with SelfLearningMemory(storage=storage) as memory:
        episode = await memory.start_episode("t", TaskContext())
        await memory.log_step(episode.id, ExecutionStep(tool="a", action="b"))
        storage.fail_writes = True
        with pytest.raises(StorageError, match="disk full"):
            await memory.complete_episode(episode.id, TaskOutcome(success=True))
        storage.fail_writes = False
        stored = await memory.get_episode(episode.id)
        assert not stored.is_completed
        assert len(stored.steps) == 1
        assert (await memory.stats()).indexed_episodes == 0
        done = await memory.complete_episode(episode.id, TaskOutcome(success=True))
        assert encode_msgpack(await memory.get_episode(episode.id)) == encode_msgpack(done)


async def test_unknown_ids_as_strings(memory: SelfLearningMemory) -> None:
    from memory_core import NotFoundError

    with pytest.raises(NotFoundError):
        await memory.get_episode(str(uuid.uuid4()))


async def test_the_same_memory_can_be_reopened() -> None:
    from memory_test_utils import generate_workload

    workload = generate_workload(60, seed=8)
    memory = SelfLearningMemory()
    async with memory:
        await memory.import_episodes(workload.episodes)
        first = await memory.stats()
    async with memory:
        again = await memory.stats()
        assert again.indexed_episodes == first.indexed_episodes == 60
        assert again.learning.episodes_learned == 60
        assert again.patterns == first.patterns
        episode = await memory.start_episode("one more", TaskContext(domain="web"))
        await memory.complete_episode(episode.id, TaskOutcome(success=True))
        await memory.wait_learned()
        assert (await memory.stats()).learning.episodes_learned == 61
