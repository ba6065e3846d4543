"""The storage conformance suite: one set of tests every storage backend must pass.

Subclass :class:`StorageConformance` in a test module and provide ``make_storage``,
a fixture returning a factory of fresh, empty, **unopened** backends::

    from memory_test_utils.conformance import StorageConformance

    class TestFileStorage(StorageConformance):
        @pytest.fixture
        def make_storage(self, tmp_path):
            return lambda: TursoStorage(tmp_path / "memory.db")

Each test gets an opened backend from the ``storage`` fixture (closed afterwards)
and runs under every ``anyio_backend`` (trio and asyncio with this plugin).
Records are compared as msgpack bytes, so a round trip must be exact, field
for field; listings are compared with :meth:`EpisodeQuery.matches` plus the
documented order (newest first, ties by id), computed here from the inputs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import msgspec
import numpy as np
import pytest

from memory_core.codec import encode_msgpack
from memory_core.errors import StorageError
from memory_core.models import TaskContext
from memory_core.storage import EpisodeQuery, StorageBackend

from ._conformance_data import (
    HOSTILE_STRINGS,
    LONG_TEXT,
    listing_queries,
    make_heuristics,
    make_patterns,
    reference_listing,
    varied_episodes,
)
from .factories import make_episode, make_step

__all__ = ["StorageConformance", "StorageFactory"]

#: What ``make_storage`` returns: a callable making a fresh, empty, unopened backend.
StorageFactory = Callable[[], StorageBackend]


def _same(actual: Any, expected: Any) -> None:
    assert actual is not None, "record missing"
    assert encode_msgpack(actual) == encode_msgpack(expected), "record did not round-trip exactly"


def _ids(items: Sequence[Any]) -> list[uuid.UUID]:
    return [item.id for item in items]


class StorageConformance:
    """Base class of a backend's conformance tests; see the module docstring."""

    pytestmark = pytest.mark.anyio

    @pytest.fixture
    def make_storage(self) -> StorageFactory:
        """Override: return a factory of fresh, empty, unopened backends."""
        pytest.fail(f"{type(self).__name__} must define a `make_storage` fixture")

    @pytest.fixture
    async def storage(self, make_storage: StorageFactory) -> AsyncIterator[StorageBackend]:
        """An opened backend, closed after the test."""
        backend = make_storage()
        await backend.open()
        try:
            yield backend
        finally:
            await backend.close()

    # Lifecycle ------------------------------------------------------------
    async def test_satisfies_the_protocol(self, storage: StorageBackend) -> None:
        assert isinstance(storage, StorageBackend)

    async def test_open_and_close_are_idempotent(self, make_storage: StorageFactory) -> None:
        backend = make_storage()
        await backend.open()
        await backend.open()
        assert await backend.count_episodes() == 0
        await backend.close()
        await backend.close()
        await backend.open()
        await backend.count_episodes()
        await backend.close()

    async def test_a_closed_store_raises_storage_error(self, make_storage: StorageFactory) -> None:
        backend = make_storage()
        await backend.open()
        await backend.close()
        with pytest.raises(StorageError):
            await backend.get_episode(uuid.uuid4())

    # Episodes -------------------------------------------------------------
    async def test_episode_round_trips_exactly(self, storage: StorageBackend) -> None:
        done = make_episode(1, n_steps=6)
        running = make_episode(2, completed=False, n_steps=0)
        for episode in (done, running):
            await storage.put_episode(episode)
            _same(await storage.get_episode(episode.id), episode)
            assert await storage.get_episode(episode.id) == episode

    async def test_missing_episode_is_none(self, storage: StorageBackend) -> None:
        assert await storage.get_episode(uuid.uuid4()) is None

    async def test_put_replaces_and_filters_follow(self, storage: StorageBackend) -> None:
        original = make_episode(3, completed=False, tags=("alpha",))
        await storage.put_episode(original)
        changed = msgspec.structs.replace(
            make_episode(4, context=TaskContext(domain="data", tags=("beta",))),
            id=original.id,
            tags=("gamma",),
        )
        await storage.put_episode(changed)
        _same(await storage.get_episode(original.id), changed)
        assert await storage.count_episodes() == 1
        assert await storage.count_episodes(completed=False) == 0
        assert await storage.list_episodes(EpisodeQuery(tags=("alpha",))) == []
        for query in (
            EpisodeQuery(tags=("beta", "gamma")),
            EpisodeQuery(domain="data", completed=True),
        ):
            assert _ids(await storage.list_episodes(query)) == [original.id]

    async def test_put_episodes_batch_and_get_episodes_order(self, storage: StorageBackend) -> None:
        episodes = varied_episodes(300)
        await storage.put_episodes(episodes)
        await storage.put_episodes([])
        assert await storage.count_episodes() == 300
        a, b, c = episodes[5], episodes[150], episodes[299]
        asked = [c.id, uuid.uuid4(), a.id, b.id, uuid.uuid4()]
        found = await storage.get_episodes(asked)
        assert _ids(found) == [c.id, a.id, b.id]
        for got, expected in zip(found, (c, a, b), strict=True):
            _same(got, expected)
        assert await storage.get_episodes([]) == []

    async def test_failed_batch_writes_nothing(self, storage: StorageBackend) -> None:
        good = varied_episodes(300)
        bad = make_episode(9, metadata={"unencodable": object()})
        with pytest.raises(TypeError):
            await storage.put_episodes([*good, bad])
        assert await storage.count_episodes() == 0
        assert await storage.get_episode(good[0].id) is None

    async def test_delete_removes_episode_and_its_embeddings(self, storage: StorageBackend) -> None:
        keep, gone = make_episode(5), make_episode(6)
        await storage.put_episodes([keep, gone])
        vector = np.arange(4, dtype=np.float32)
        for model in ("m1", "m2"):
            await storage.put_embeddings("episode", model, [(gone.id, vector), (keep.id, vector)])
        await storage.put_embeddings("pattern", "m1", [(gone.id, vector)])
        assert await storage.delete_episode(gone.id) is True
        assert await storage.delete_episode(gone.id) is False
        assert await storage.get_episode(gone.id) is None
        assert await storage.count_episodes() == 1
        assert _ids(await storage.list_episodes(EpisodeQuery())) == [keep.id]
        for model in ("m1", "m2"):
            remaining = await storage.get_embeddings("episode", model, [gone.id, keep.id])
            assert list(remaining) == [keep.id]
        assert list(await storage.get_embeddings("pattern", "m1", [gone.id])) == [gone.id]

    async def test_list_filters_order_and_paging(self, storage: StorageBackend) -> None:
        episodes = varied_episodes(40)
        await storage.put_episodes(episodes)
        for query in listing_queries():
            expected = reference_listing(episodes, query)
            assert _ids(await storage.list_episodes(query)) == expected, query
        newest = await storage.list_episodes(EpisodeQuery(limit=1))
        _same(newest[0], max(episodes, key=lambda e: (e.started_at, e.id.bytes)))

    async def test_counts(self, storage: StorageBackend) -> None:
        episodes = varied_episodes(21)
        await storage.put_episodes(episodes)
        done = sum(1 for episode in episodes if episode.is_completed)
        assert await storage.count_episodes() == 21
        assert await storage.count_episodes(completed=True) == done
        assert await storage.count_episodes(completed=False) == 21 - done

    async def test_iter_episodes_batches_oldest_first(self, storage: StorageBackend) -> None:
        assert [batch async for batch in storage.iter_episodes()] == []
        episodes = varied_episodes(25)
        await storage.put_episodes(episodes)
        oldest_first = sorted(episodes, key=lambda e: (e.started_at, e.id.bytes))
        batches = [batch async for batch in storage.iter_episodes(batch_size=10)]
        assert [len(batch) for batch in batches] == [10, 10, 5]
        flat = [episode for batch in batches for episode in batch]
        assert _ids(flat) == _ids(oldest_first)
        for got, expected in zip(flat, oldest_first, strict=True):
            _same(got, expected)
        done = [batch async for batch in storage.iter_episodes(completed=True, batch_size=7)]
        assert [e.id for b in done for e in b] == [e.id for e in oldest_first if e.is_completed]
        running = [batch async for batch in storage.iter_episodes(completed=False)]
        assert [e.id for b in running for e in b] == [
            e.id for e in oldest_first if not e.is_completed
        ]

    # Patterns and heuristics ------------------------------------------------
    async def test_patterns_crud(self, storage: StorageBackend) -> None:
        patterns = make_patterns()
        await storage.put_patterns(patterns)
        await storage.put_patterns([])
        assert await storage.count_patterns() == 4
        for pattern in patterns:
            got = await storage.get_pattern(pattern.id)
            assert type(got) is type(pattern)
            _same(got, pattern)
        by_id = sorted(patterns, key=lambda p: p.id)
        assert _ids(await storage.list_patterns()) == _ids(by_id)
        assert _ids(await storage.list_patterns(limit=2, offset=1)) == _ids(by_id[1:3])
        assert await storage.list_patterns(offset=10) == []
        first = patterns[0]
        updated = msgspec.structs.replace(first, keywords=("changed",))
        await storage.put_patterns([updated])
        _same(await storage.get_pattern(first.id), updated)
        assert await storage.count_patterns() == 4
        assert await storage.delete_pattern(first.id) is True
        assert await storage.delete_pattern(first.id) is False
        assert await storage.get_pattern(first.id) is None
        assert await storage.count_patterns() == 3

    async def test_heuristics_crud(self, storage: StorageBackend) -> None:
        heuristics = make_heuristics(12)
        await storage.put_heuristics(heuristics)
        await storage.put_heuristics([])
        assert await storage.count_heuristics() == 12
        for heuristic in heuristics:
            _same(await storage.get_heuristic(heuristic.id), heuristic)
        by_id = sorted(heuristics, key=lambda h: h.id)
        assert _ids(await storage.list_heuristics()) == _ids(by_id)
        assert _ids(await storage.list_heuristics(limit=5, offset=5)) == _ids(by_id[5:10])
        updated = msgspec.structs.replace(heuristics[3], confidence=0.125)
        await storage.put_heuristics([updated])
        _same(await storage.get_heuristic(updated.id), updated)
        assert await storage.delete_heuristic(updated.id) is True
        assert await storage.delete_heuristic(updated.id) is False
        assert await storage.get_heuristic(updated.id) is None
        assert await storage.count_heuristics() == 11

    # Embeddings and metadata ----------------------------------------------
    async def test_embeddings_round_trip_bit_exact(self, storage: StorageBackend) -> None:
        rng = np.random.default_rng(3)
        special = np.array([0.0, -0.0, 1e-45, -3.4e38, np.inf, np.nan], dtype=np.float32)
        items = [
            (uuid.uuid4(), rng.standard_normal(384).astype(np.float32)),
            (uuid.uuid4(), special),
            (uuid.uuid4(), np.ones(1, dtype=np.float32)),
        ]
        await storage.put_embeddings("episode", "model-a", items)
        missing = uuid.uuid4()
        found = await storage.get_embeddings("episode", "model-a", [*_ids_of(items), missing])
        assert set(found) == set(_ids_of(items))
        for item_id, vector in items:
            assert found[item_id].dtype == np.float32
            assert found[item_id].shape == vector.shape
            assert found[item_id].tobytes() == vector.tobytes()
        assert await storage.get_embeddings("episode", "model-b", _ids_of(items)) == {}
        assert await storage.get_embeddings("pattern", "model-a", _ids_of(items)) == {}
        replacement = np.full(8, 0.5, dtype=np.float32)
        await storage.put_embeddings("episode", "model-a", [(items[0][0], replacement)])
        again = await storage.get_embeddings("episode", "model-a", [items[0][0]])
        assert again[items[0][0]].tobytes() == replacement.tobytes()

    async def test_metadata(self, storage: StorageBackend) -> None:
        assert await storage.get_metadata("absent") is None
        await storage.set_metadata("k", "v1")
        await storage.set_metadata("k", "v2")
        await storage.set_metadata("empty", "")
        assert await storage.get_metadata("k") == "v2"
        assert await storage.get_metadata("empty") == ""

    # Hostile input ----------------------------------------------------------
    async def test_hostile_strings_round_trip_verbatim(self, storage: StorageBackend) -> None:
        episodes = []
        for index, text in enumerate(HOSTILE_STRINGS):
            tag = text[:100]
            step = make_step(index, observation=text, error=text, success=False)
            context = TaskContext(language=text, domain=text, tags=(tag,), framework=text)
            episodes.append(
                make_episode(
                    100 + index,
                    task_description=text,
                    task_type=text,
                    context=context,
                    steps=(step,),
                    tags=(tag,),
                    metadata={text: text, "nested": [text, {"k": text}]},
                )
            )
        await storage.put_episodes(episodes)
        for episode in episodes:
            _same(await storage.get_episode(episode.id), episode)
            by_domain = await storage.list_episodes(EpisodeQuery(domain=episode.context.domain))
            assert _ids(by_domain) == [episode.id]
            by_tag = await storage.list_episodes(EpisodeQuery(tags=episode.tags))
            assert _ids(by_tag) == [episode.id]
        for index, text in enumerate(HOSTILE_STRINGS):
            await storage.set_metadata(text, text[::-1])
            assert await storage.get_metadata(text) == text[::-1]
            patterns = make_patterns(seed=index, text=text)
            await storage.put_patterns(patterns)
            for pattern in patterns:
                _same(await storage.get_pattern(pattern.id), pattern)
            (heuristic,) = make_heuristics(1, seed=index, text=text)
            await storage.put_heuristics([heuristic])
            _same(await storage.get_heuristic(heuristic.id), heuristic)
            await storage.put_embeddings("episode", text, [(episodes[0].id, np.ones(2, "f4"))])
            assert list(await storage.get_embeddings("episode", text, [episodes[0].id]))
        assert await storage.count_episodes() == len(HOSTILE_STRINGS)

    async def test_long_fields_at_the_limit(self, storage: StorageBackend) -> None:
        steps = tuple(
            make_step(n, step_number=n, observation=LONG_TEXT, error=LONG_TEXT, success=False)
            for n in range(1, 21)
        )
        episode = make_episode(77, task_description=LONG_TEXT, steps=steps)
        assert len(episode.task_description) == 10_000
        await storage.put_episode(episode)
        _same(await storage.get_episode(episode.id), episode)


def _ids_of(items: Sequence[tuple[uuid.UUID, Any]]) -> list[uuid.UUID]:
    return [item_id for item_id, _ in items]
