"""Start times are stored exactly: far past, far future and microsecond neighbours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from memory_core.storage import EpisodeQuery
from memory_storage_turso import TursoStorage
from memory_test_utils import make_episode

pytestmark = pytest.mark.anyio

MOMENTS = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1900, 6, 1, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2025, 1, 1, tzinfo=UTC),
    datetime(2025, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2025, 1, 1, 2, 0, 0, 2, tzinfo=timezone(timedelta(hours=2))),  # 00:00:00.000002Z
    datetime(9999, 12, 31, 23, 59, 59, 999_998, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
]


@pytest.fixture(params=["file", "sqld"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TursoStorage]:
    url = str(tmp_path / "m.db") if request.param == "file" else request.getfixturevalue("sqld_url")
    async with TursoStorage(url) as opened:
        yield opened


async def test_order_and_ranges_are_exact(storage: TursoStorage) -> None:
    episodes = [
        make_episode(seed, started_at=moment, completed=False, n_steps=0)
        for seed, moment in enumerate(MOMENTS)
    ]
    await storage.put_episodes(episodes[::-1])
    newest_first = [e.id for e in episodes[::-1]]
    assert [e.id for e in await storage.list_episodes(EpisodeQuery())] == newest_first
    batches = [batch async for batch in storage.iter_episodes(batch_size=3)]
    assert [e.id for batch in batches for e in batch] == [e.id for e in episodes]
    since = await storage.list_episodes(EpisodeQuery(since=MOMENTS[-1]))
    assert [e.id for e in since] == [episodes[-1].id]
    window = EpisodeQuery(since=MOMENTS[4], until=MOMENTS[6])
    assert [e.id for e in await storage.list_episodes(window)] == [episodes[5].id, episodes[4].id]
    for episode in episodes:
        assert await storage.get_episode(episode.id) == episode
