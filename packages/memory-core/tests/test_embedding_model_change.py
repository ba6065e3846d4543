"""A memory over a real HTTP embedder, and what happens when the embedding model changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from memory_core import MemoryConfig, SelfLearningMemory, TaskContext, TaskOutcome
from memory_core.embedding import (
    EmbeddingModelChangedError,
    HashingEmbedder,
    OpenAICompatibleEmbedder,
)
from memory_core.storage import InMemoryStorage
from memory_test_utils.embedding_server import EmbeddingServer, run_embedding_server

pytestmark = pytest.mark.anyio

CONTEXT = TaskContext(language="python", domain="web")
TASKS = ["Build REST API endpoint", "Fix the login timeout", "Parse CSV exports"]


@pytest.fixture
def server() -> Iterator[EmbeddingServer]:
    with run_embedding_server(dim=16) as running:
        yield running


def _http(server: EmbeddingServer) -> OpenAICompatibleEmbedder:
    return OpenAICompatibleEmbedder(
        "test-model", base_url=server.url, api_key=server.api_key, backoff=0.001
    )


async def _record(memory: SelfLearningMemory) -> None:
    for task in TASKS:
        episode = await memory.start_episode(task, CONTEXT)
        await memory.complete_episode(
            episode.id, TaskOutcome(success=True, result="done", duration_ms=1000)
        )


async def test_memory_embeds_through_http(server: EmbeddingServer) -> None:
    storage = InMemoryStorage()
    with _http(server) as embedder:
        async with SelfLearningMemory(storage=storage, embedder=embedder) as memory:
            await _record(memory)
            results = await memory.retrieve_relevant_context(TASKS[1], CONTEXT, 3)
        assert results[0].episode.task_description == TASKS[1]
        sent = [text for batch in server.inputs for text in batch]
        assert set(TASKS) <= set(sent)
        assert embedder.name == "openai-compatible:test-model:16"


async def test_model_change_raises_under_error_policy(server: EmbeddingServer) -> None:
    storage = InMemoryStorage()
    async with SelfLearningMemory(storage=storage, embedder=HashingEmbedder(16)) as memory:
        await _record(memory)
    config = MemoryConfig(on_embedder_change="error")
    with _http(server) as embedder:
        with pytest.raises(EmbeddingModelChangedError) as caught:
            async with SelfLearningMemory(config, storage=storage, embedder=embedder):
                pass  # pragma: no cover - opening fails
    assert caught.value.stored == ("hashing-v1-16", 16)
    assert caught.value.current == ("openai-compatible:test-model:16", 16)
    assert server.inputs == [["dimension probe"]]  # identity probe only: nothing re-embedded


async def test_model_change_reembeds_with_progress(server: EmbeddingServer) -> None:
    storage = InMemoryStorage()
    async with SelfLearningMemory(storage=storage, embedder=HashingEmbedder(16)) as memory:
        await _record(memory)
    progress: list[tuple[int, int]] = []
    with _http(server) as embedder:
        memory = SelfLearningMemory(
            storage=storage,
            embedder=embedder,
            reembed_progress=lambda done, total: progress.append((done, total)),
        )
        async with memory:
            results = await memory.retrieve_relevant_context(TASKS[2], CONTEXT, 3)
        assert progress[-1] == (3, 3)
        assert results[0].episode.task_description == TASKS[2]
        embedded = {text for batch in server.inputs for text in batch}
        assert set(TASKS) <= embedded
        # Reopening with the same model neither re-embeds nor reports progress.
        before, progress[:] = len(server.requests), []
        async with SelfLearningMemory(storage=storage, embedder=embedder):
            pass
        assert progress == []
        assert len(server.requests) == before
