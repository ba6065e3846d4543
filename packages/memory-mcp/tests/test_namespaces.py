"""Namespaces: isolated stores, fail-closed lookups, the bound on open namespaces."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_helpers import error_text, resource_json, structured

from memory_core import SelfLearningMemory
from memory_core.errors import ValidationError
from memory_mcp import MemoryPool, NamespaceBusyError, Settings, build_server
from memory_storage_turso import TursoStorage

pytestmark = pytest.mark.anyio


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)}, **overrides)


async def _start(client: Client, task: str, namespace: str | None) -> str:
    arguments: dict[str, object] = {"task_description": task, "domain": "web"}
    if namespace is not None:
        arguments["namespace"] = namespace
    started = structured(await client.call_tool("start_episode", arguments))
    episode_id = str(started["episode_id"])
    completion: dict[str, object] = {"episode_id": episode_id, "success": True}
    if namespace is not None:
        completion["namespace"] = namespace
    structured(await client.call_tool("complete_episode", completion))
    return episode_id


async def test_one_namespace_never_sees_another(tmp_path: Path) -> None:
    server, _ = build_server(_settings(tmp_path))
    async with Client(server) as client:
        alice = await _start(client, "Alice's secret deployment task", "alice")
        bob = await _start(client, "Bob's deployment task", "bob")
        default = await _start(client, "Default deployment task", None)

        for namespace, own, foreign in (
            ("alice", alice, [bob, default]),
            ("bob", bob, [alice, default]),
            (None, default, [alice, bob]),
        ):
            scope = {} if namespace is None else {"namespace": namespace}
            listed = structured(await client.call_tool("list_episodes", scope))
            assert [e["episode_id"] for e in listed["episodes"]] == [own]
            ranked = structured(
                await client.call_tool("query_memory", {"query": "deployment task", **scope})
            )
            assert [hit["episode"]["episode_id"] for hit in ranked["results"]] == [own]
            for other in foreign:
                for tool in ("get_episode", "delete_episode"):
                    message = error_text(
                        await client.call_tool(tool, {"episode_id": other, **scope})
                    )
                    assert "not found" in message
                step = {"episode_id": other, "tool": "t", "action": "a", "success": True, **scope}
                assert "not found" in error_text(await client.call_tool("log_step", step))
            stats = structured(await client.call_tool("get_stats", scope))
            assert stats["stats"]["episodes"] == 1

        listing = await client.read_resource("memory://alice/episodes")
        assert [e["episode_id"] for e in resource_json(listing)] == [alice]
        with pytest.raises(MCPError, match="not found"):
            await client.read_resource(f"memory://bob/episodes/{alice}")
        with pytest.raises(MCPError):
            await client.read_resource(f"memory://Not-Valid/episodes/{alice}")

    # Each namespace is its own store on disk.
    assert (tmp_path / "memory.db").exists()
    assert (tmp_path / "namespaces" / "alice" / "memory.db").exists()
    assert (tmp_path / "namespaces" / "bob" / "cache.redb").exists()


async def test_shared_remote_url_refuses_other_namespaces(tmp_path: Path) -> None:
    settings = _settings(tmp_path, db_url=str(tmp_path / "shared.db"), cache_enabled=False)
    server, _ = build_server(settings)
    async with Client(server) as client:
        message = error_text(
            await client.call_tool(
                "start_episode", {"task_description": "t", "domain": "web", "namespace": "alice"}
            )
        )
        assert "{namespace}" in message
        structured(
            await client.call_tool("start_episode", {"task_description": "t", "domain": "web"})
        )


async def test_url_placeholder_gives_each_namespace_a_database(tmp_path: Path) -> None:
    settings = _settings(tmp_path, db_url=str(tmp_path / "db-{namespace}.db"))
    server, _ = build_server(settings)
    async with Client(server) as client:
        await _start(client, "placeholder task", "carol")
    assert (tmp_path / "db-carol.db").exists()
    assert not (tmp_path / "db-default.db").exists()


@asynccontextmanager
async def _in_memory(settings: Settings, namespace: str) -> AsyncIterator[SelfLearningMemory]:
    async with SelfLearningMemory() as memory:
        yield memory


async def test_pool_closes_least_recently_used_idle_namespace(tmp_path: Path) -> None:
    settings = _settings(tmp_path, max_open_namespaces=2)
    async with MemoryPool(settings, opener=_in_memory) as pool:
        async with pool.lease("a"):
            pass
        async with pool.lease("b"):
            pass
        async with pool.lease("a"):
            pass
        async with pool.lease("c"):
            assert pool.open_namespaces == ["a", "c"]
        with pytest.raises(ValidationError, match="namespace"):
            async with pool.lease("UPPER"):
                pass


async def test_pool_refuses_beyond_bound_when_all_busy(tmp_path: Path) -> None:
    settings = _settings(tmp_path, max_open_namespaces=1)
    async with MemoryPool(settings, opener=_in_memory) as pool:
        async with pool.lease("a"):
            with pytest.raises(NamespaceBusyError, match="in use"):
                async with pool.lease("b"):
                    pass
        async with pool.lease("b"):
            assert pool.open_namespaces == ["b"]


async def test_pool_open_failure_reaches_the_caller_and_pool_survives(tmp_path: Path) -> None:
    @asynccontextmanager
    async def flaky(settings: Settings, namespace: str) -> AsyncIterator[SelfLearningMemory]:
        if namespace == "broken":
            raise OSError("disk on fire")
        async with SelfLearningMemory() as memory:
            yield memory

    async with MemoryPool(_settings(tmp_path), opener=flaky) as pool:
        with pytest.raises(OSError, match="disk on fire"):
            async with pool.lease("broken"):
                pass
        async with pool.lease("fine") as memory:
            assert (await memory.stats()).episodes == 0


async def test_shutdown_drains_background_learning(tmp_path: Path) -> None:
    settings = _settings(tmp_path)  # learning in the background (the default)
    assert not settings.learn_synchronously
    server, _ = build_server(settings)
    async with Client(server) as client:
        for i in range(4):
            started = structured(
                await client.call_tool(
                    "start_episode", {"task_description": f"Drain task {i}", "domain": "web"}
                )
            )
            for tool in ("cargo", "rustc"):
                step = {"episode_id": started["episode_id"], "tool": tool, "action": "run"}
                structured(await client.call_tool("log_step", {**step, "success": True}))
            done = {"episode_id": started["episode_id"], "success": True}
            structured(await client.call_tool("complete_episode", done))
    # Read the file directly (a memory would re-learn at open): the patterns were written.
    async with TursoStorage(tmp_path / "memory.db") as storage:
        assert await storage.count_episodes(completed=True) == 4
        assert await storage.count_patterns() > 0
