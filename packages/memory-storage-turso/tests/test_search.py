"""Search hooks: FTS5 over episode text and vector search (exact and libSQL ANN)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import numpy as np
import pytest

from memory_core.errors import ValidationError
from memory_storage_turso import TursoStorage
from memory_storage_turso._text import fts_query
from memory_test_utils import make_episode

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["file", "sqld"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TursoStorage]:
    if request.param == "file":
        url = str(tmp_path / "memory.db")
    else:
        url = request.getfixturevalue("sqld_url")
    async with TursoStorage(url) as opened:
        yield opened


async def test_text_search_finds_and_follows_changes(storage: TursoStorage) -> None:
    rest = make_episode(1, task_description="Build REST API endpoint for invoices")
    etl = make_episode(2, task_description="Load parquet files into the warehouse")
    await storage.put_episodes([rest, etl])
    hits = await storage.search_text("build a REST endpoint")
    assert hits[0].id == rest.id
    assert hits[0].score > 0
    assert [hit.id for hit in await storage.search_text("parquet warehouse")][:1] == [etl.id]

    renamed = msgspec.structs.replace(rest, task_description="Tune kafka consumer lag")
    await storage.put_episode(renamed)
    assert rest.id not in [hit.id for hit in await storage.search_text("invoices")]
    assert [hit.id for hit in await storage.search_text("kafka")] == [rest.id]

    await storage.delete_episode(rest.id)
    assert await storage.search_text("kafka") == []
    assert await storage.refresh_text_index() == 0


async def test_text_index_is_filled_lazily(storage: TursoStorage) -> None:
    episodes = [make_episode(seed) for seed in range(30)]
    await storage.put_episodes(episodes)
    assert await storage.refresh_text_index() == 30
    assert await storage.refresh_text_index() == 0


@pytest.mark.parametrize(
    "query", ['NEAR("a" "b")', '"', "*", "AND OR NOT", "col:value", "^x", "'); DROP --", "😀"]
)
async def test_text_search_treats_syntax_as_words(storage: TursoStorage, query: str) -> None:
    await storage.put_episode(make_episode(3, task_description=f"literal {query} here"))
    hits = await storage.search_text(query)
    assert len(hits) <= 1


async def test_text_search_limits(storage: TursoStorage) -> None:
    assert await storage.search_text("   ...   ") == []
    with pytest.raises(ValidationError):
        await storage.search_text("x", limit=0)


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('say "hi" OR bye*') == '"say" OR "hi" OR "or" OR "bye"'


async def test_vector_search_exact_then_ann(storage: TursoStorage) -> None:
    rng = np.random.default_rng(0)
    ids = [uuid.uuid4() for _ in range(60)]
    vectors = rng.standard_normal((60, 16)).astype(np.float32)
    await storage.put_embeddings("episode", "m", list(zip(ids, vectors, strict=True)))
    await storage.put_embeddings("pattern", "m", [(uuid.uuid4(), vectors[3])])
    exact = await storage.search_vectors("episode", "m", vectors[3], k=5)
    assert len(exact) == 5
    assert exact[0].id == ids[3]
    assert exact[0].score == pytest.approx(1.0, abs=1e-5)
    assert [hit.score for hit in exact] == sorted((hit.score for hit in exact), reverse=True)

    await storage.create_vector_index("episode", "m", 16)
    await storage.create_vector_index("episode", "m", 16)
    ann = await storage.search_vectors("episode", "m", vectors[3], k=5)
    assert ann[0].id == ids[3]

    late = uuid.uuid4()
    await storage.put_embeddings("episode", "m", [(late, -vectors[3])])
    await storage.put_embeddings("episode", "m", [(ids[7], -vectors[3] * 2)])
    farthest = await storage.search_vectors("episode", "m", -vectors[3], k=2)
    assert {hit.id for hit in farthest} == {late, ids[7]}

    episode = make_episode(4, id=late)
    await storage.put_episode(episode)
    await storage.delete_episode(late)
    after = await storage.search_vectors("episode", "m", -vectors[3], k=2)
    assert late not in [hit.id for hit in after]
    assert await storage.search_vectors("episode", "other", vectors[3]) == []


async def test_vector_search_rejects_bad_queries(storage: TursoStorage) -> None:
    for query, k in ((np.zeros(4, np.float32), 1), (np.array([np.nan], np.float32), 1)):
        with pytest.raises(ValidationError):
            await storage.search_vectors("episode", "m", query, k)
    with pytest.raises(ValidationError):
        await storage.search_vectors("episode", "m", np.ones(4, np.float32), 0)
    with pytest.raises(ValidationError):
        await storage.create_vector_index("episode", "m", 0)
