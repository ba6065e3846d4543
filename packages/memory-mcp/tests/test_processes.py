"""Two ``memory-mcp`` processes on one store (each MCP stdio client starts its own server)."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import anyio
import libsql  # type: ignore[import-untyped]
import pytest
from mcp import Client
from mcp_helpers import stdio_params, structured

pytestmark = pytest.mark.anyio

PER_PROCESS = 15
_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}


async def _write(client: Client, label: str, ids: list[str]) -> None:
    for i in range(PER_PROCESS):
        started = structured(
            await client.call_tool(
                "start_episode", {"task_description": f"{label} task {i}", "domain": "web"}
            )
        )
        step = {"episode_id": started["episode_id"], "tool": "make", "action": "build"}
        structured(await client.call_tool("log_step", {**step, "success": True}))
        done = {"episode_id": started["episode_id"], "success": True}
        structured(await client.call_tool("complete_episode", done))
        ids.append(started["episode_id"])


def _integrity(path: Path) -> str:
    conn = libsql.connect(str(path))
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchall()[0][0])
    finally:
        conn.close()


async def test_two_servers_share_one_store_without_loss(tmp_path: Path) -> None:
    first: list[str] = []
    second: list[str] = []
    async with Client(stdio_params(tmp_path)) as a, Client(stdio_params(tmp_path)) as b:
        async with anyio.create_task_group() as group:
            group.start_soon(_write, a, "first", first)
            group.start_soon(_write, b, "second", second)
        # Each process reads the other's episodes from the shared database.
        for client, others in ((a, second), (b, first)):
            listed = structured(await client.call_tool("list_episodes", {"limit": 100}))
            assert len(listed["episodes"]) == 2 * PER_PROCESS
            for episode_id in others[:3]:
                episode = structured(
                    await client.call_tool("get_episode", {"episode_id": episode_id})
                )
                assert episode["episode"]["outcome"]["success"] is True
    # One process held the redb cache; the other used a private cache file (removed on close).
    assert (tmp_path / "cache.redb").exists()
    assert _integrity(tmp_path / "memory.db") == "ok"
    async with Client(stdio_params(tmp_path)) as client:
        stats = structured(await client.call_tool("get_stats", {}))["stats"]
        assert stats["completed_episodes"] == 2 * PER_PROCESS
        # After a reopen, retrieval covers both processes' episodes.
        ranked = structured(
            await client.call_tool("query_memory", {"query": "second task 3", "limit": 3})
        )
        assert second[3] in [hit["episode"]["episode_id"] for hit in ranked["results"]]


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_stdio_server_exits_cleanly_on_sigterm(tmp_path: Path, backend: str) -> None:
    params = stdio_params(tmp_path, "--backend", backend)
    process = subprocess.Popen(
        [params.command, *params.args],
        env=params.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(json.dumps(_INITIALIZE).encode() + b"\n")
        process.stdin.flush()
        answer = json.loads(process.stdout.readline())
        assert answer["id"] == 1
        assert "result" in answer
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert status == 0, stderr
    assert "Traceback" not in stderr
