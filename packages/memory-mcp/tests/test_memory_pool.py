"""MemoryPool's lifecycle edges: misuse, stats of open namespaces, slow or failing closes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from memory_core import SelfLearningMemory
from memory_core.models import TaskContext, TaskOutcome
from memory_mcp import MemoryPool, Settings
from memory_mcp.errors import MemoryMcpError
from memory_mcp.settings import open_memory

pytestmark = pytest.mark.anyio


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)}, **overrides)


async def test_a_pool_must_be_entered_once(tmp_path: Path) -> None:
    pool = MemoryPool(_settings(tmp_path))
    assert repr(pool).startswith("MemoryPool(open=[], limit=")
    with pytest.raises(MemoryMcpError, match="MemoryPool is not open"):
        async with pool.lease("alpha"):
            pytest.fail("a closed pool cannot lease")
    assert await pool.__aexit__(None, None, None) is None  # leaving an unopened pool: no-op
    async with pool:
        with pytest.raises(MemoryMcpError, match="already open"):
            await pool.__aenter__()
        async with pool.lease("alpha") as memory:
            assert isinstance(memory, SelfLearningMemory)
        assert "open=['alpha']" in repr(pool)
    assert pool.open_namespaces == []


async def test_stats_of_open_reports_only_open_namespaces(tmp_path: Path) -> None:
    async with MemoryPool(_settings(tmp_path)) as pool:
        assert await pool.stats_of_open() == {}
        async with pool.lease("alpha") as memory:
            episode = await memory.start_episode("write the release notes", TaskContext())
            await memory.complete_episode(episode.id, TaskOutcome(success=True))
        async with pool.lease("beta"):
            pass
        stats = await pool.stats_of_open()
    assert sorted(stats) == ["alpha", "beta"]
    assert stats["alpha"].episodes == 1
    assert stats["beta"].episodes == 0


def _slow_closing(delay: float) -> Any:
    @asynccontextmanager
    async def opener(settings: Settings, name: str) -> AsyncIterator[SelfLearningMemory]:
        async with open_memory(settings, name) as memory:
            try:
                yield memory
            finally:
                with anyio.CancelScope(shield=True):
                    await anyio.sleep(delay)

    return opener


async def test_shutdown_gives_up_on_memories_that_do_not_drain(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="memory_mcp")
    pool = MemoryPool(_settings(tmp_path), opener=_slow_closing(1.0), drain_timeout=0.1)
    with anyio.fail_after(10):
        async with pool:
            async with pool.lease("slow"):
                pass
    assert "memories did not close within 0 s; cancelling" in caplog.text


async def test_eviction_waits_at_most_the_drain_timeout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="memory_mcp")
    settings = _settings(tmp_path, max_open_namespaces=1)
    pool = MemoryPool(settings, opener=_slow_closing(0.5), drain_timeout=0.05)
    with anyio.fail_after(10):
        async with pool:
            async with pool.lease("first"):
                pass
            async with pool.lease("second"):
                assert pool.open_namespaces == ["second"]
    assert "namespace 'first' did not close within 0 s" in caplog.text


async def test_a_failing_close_is_logged_and_spares_the_other_namespaces(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    @asynccontextmanager
    async def opener(settings: Settings, name: str) -> AsyncIterator[SelfLearningMemory]:
        async with open_memory(settings, name) as memory:
            yield memory
        if name == "broken":
            raise OSError("disk went away while closing")

    caplog.set_level(logging.ERROR, logger="memory_mcp")
    async with MemoryPool(_settings(tmp_path), opener=opener) as pool:
        for name in ("broken", "fine"):
            async with pool.lease(name):
                pass
    assert "closing namespace 'broken' failed" in caplog.text
    assert "disk went away while closing" in caplog.text
    assert "'fine'" not in caplog.text
