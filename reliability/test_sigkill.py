"""Scenario 1: SIGKILL during write bursts, on every durable storage and on the MCP server.

A writer prints each episode id once ``complete_episode`` returned. The parent kills it
(SIGKILL) at a random moment mid-burst, reopens the store and checks that every
acknowledged episode is there and complete, that the file is sound (``PRAGMA
integrity_check``) and that writing continues: the next round's writer starts on the
same store. For the MCP server the server process is killed while an MCP client streams
episodes over HTTP; every completion the client got an answer for must be there after a
restart.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from rel_support import (
    Acks,
    McpServer,
    Recorder,
    as_uuids,
    complete_lines,
    integrity_check,
    kill_quietly,
    latency_summary,
    mcp_transport,
    read_until,
    spawn_script,
)

from memory_core.storage import TieredStorage
from memory_storage_redb import RedbCache
from memory_storage_turso import TursoStorage
from memory_test_utils.sqld import SqldServer, run_sqld

ROUNDS = 5
STEPS = 3
SEED = 20261124
#: Seconds between the first acknowledged episode and the SIGKILL.
DELAYS = (0.3, 1.5)


@pytest.fixture(scope="module")
def sqld() -> Iterator[SqldServer]:
    with run_sqld() as server:
        yield server


def _kill_mid_burst(arguments: list[str], delay: float) -> tuple[Acks, float]:
    """Run one writer, SIGKILL it ``delay`` s after its first ack; its acks and burst seconds."""
    child = spawn_script("writer.py", *arguments, "--steps", STEPS)
    acks = Acks()
    try:
        read_until(child, "ready")
        assert child.stdout is not None
        first = child.stdout.readline()
        acks.feed([first])
        assert acks.ids, f"no first ack: {first!r} {child.stderr.read() if child.stderr else ''}"
        burst_started = time.monotonic()
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        burst = time.monotonic() - burst_started
        rest, errors = child.communicate(timeout=30)
    finally:
        kill_quietly(child)
    assert child.returncode == -signal.SIGKILL, errors[-3000:]
    acks.feed(complete_lines(rest))
    return acks, burst


async def _check_durable(storage: Any, promised: list[str]) -> dict[str, int]:
    """Every promised episode present, completed, with its steps; leftover counts."""
    found = await storage.get_episodes(as_uuids(promised))
    assert [str(episode.id) for episode in found] == promised, "acknowledged episodes lost"
    for episode in found:
        assert episode.is_completed, f"{episode.id} acknowledged but not completed"
        assert episode.reward is not None
        assert len(episode.steps) == STEPS, f"{episode.id} has {len(episode.steps)} steps"
    total = await storage.count_episodes()
    in_progress = await storage.count_episodes(completed=False)
    return {"stored": total, "in_progress_leftovers": in_progress}


def _run_rounds(
    kind: str, arguments: list[str], verify: Any, record: Recorder, storage_label: str
) -> None:
    rng = random.Random(f"{SEED}-{kind}")
    promised: list[str] = []
    latencies: list[float] = []
    rounds = []
    for number in range(ROUNDS):
        delay = round(rng.uniform(*DELAYS), 3)
        acks, burst = _kill_mid_burst([*arguments, "--seed", str(number)], delay)
        promised += acks.ids
        latencies += acks.latencies_ms
        started = time.monotonic()
        checked = verify(promised)
        rounds.append(
            {
                "kill_after_s": delay,
                "acked": len(acks.ids),
                "episodes_per_s": round(len(acks.ids) / max(burst, 1e-3), 1),
                "reopen_and_check_s": round(time.monotonic() - started, 3),
                **checked,
            }
        )
    # Writing continues after the last kill: a writer that runs to completion.
    final = spawn_script("writer.py", *arguments, "--steps", STEPS, "--count", 5, "--seed", 99)
    try:
        output, errors = final.communicate(timeout=120)
    finally:
        kill_quietly(final)
    assert final.returncode == 0, errors[-3000:]
    after = Acks()
    after.feed(output.splitlines())
    assert len(after.ids) == 5
    assert after.other[-1] == "done"
    promised += after.ids
    checked = verify(promised)
    record(
        scenario="SIGKILL during write bursts",
        storage=storage_label,
        numbers={
            "rounds": ROUNDS,
            "acknowledged": len(promised),
            "lost": 0,
            "kill_after_s": [r["kill_after_s"] for r in rounds],
            "acked_per_round": [r["acked"] for r in rounds],
            "integrity": checked.get("integrity", "n/a"),
            "in_progress_leftovers": checked["in_progress_leftovers"],
            "episode_latency": latency_summary(latencies),
            "rounds_detail": rounds,
        },
        mechanism="SIGKILL of the writer process",
        notes=f"{STEPS} steps per episode; 5 more episodes written after the last kill",
    )


def test_sigkill_embedded_libsql(tmp_path: Path, record: Recorder) -> None:
    path = tmp_path / "memory.db"

    def verify(promised: list[str]) -> dict[str, Any]:
        async def check() -> dict[str, int]:
            async with TursoStorage(path) as storage:
                return await _check_durable(storage, promised)

        checked: dict[str, Any] = anyio.run(check, backend="trio")
        checked["integrity"] = integrity_check(path)
        assert checked["integrity"] == "ok"
        return checked

    args = ["--storage", "libsql", "--target", str(path)]
    _run_rounds("libsql", args, verify, record, "libSQL embedded file")


def test_sigkill_remote_sqld_client(sqld: SqldServer, record: Recorder) -> None:
    sqld.reset()

    def verify(promised: list[str]) -> dict[str, Any]:
        async def check() -> dict[str, int]:
            async with TursoStorage(sqld.url) as storage:
                return await _check_durable(storage, promised)

        checked: dict[str, Any] = anyio.run(check, backend="trio")
        checked["integrity"] = str(sqld.execute("PRAGMA integrity_check")[0][0])
        assert checked["integrity"] == "ok"
        return checked

    args = ["--storage", "sqld", "--target", sqld.url]
    _run_rounds("sqld", args, verify, record, "remote sqld (client killed)")


def test_sigkill_tiered(tmp_path: Path, record: Recorder) -> None:
    path, cache = tmp_path / "memory.db", tmp_path / "cache.redb"

    def verify(promised: list[str]) -> dict[str, Any]:
        async def check() -> dict[str, Any]:
            durable = TursoStorage(path)
            async with TieredStorage(durable, RedbCache(cache)) as tiered:
                # Read through the cache first: a copy the kill left stale must not show.
                checked: dict[str, Any] = await _check_durable(tiered, promised)
                report = await tiered.sync_memories()
                assert report.cache_enabled
                checked["cache_refreshed_by_sync"] = report.refreshed
                await _check_durable(durable, promised)
            return checked

        checked: dict[str, Any] = anyio.run(check, backend="trio")
        checked["integrity"] = integrity_check(path)
        assert checked["integrity"] == "ok"
        return checked

    args = ["--storage", "tiered", "--target", str(path), "--cache", str(cache)]
    _run_rounds("tiered", args, verify, record, "tiered (libSQL + redb cache)")


# The MCP server ----------------------------------------------------------------------------
async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    with anyio.fail_after(15):
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return dict(result.structured_content)


async def _stream_until_killed(
    server: McpServer, delay: float, promised: list[str], latencies: list[float]
) -> dict[str, Any]:
    """Stream episodes to ``server``; SIGKILL it ``delay`` s after the first completion."""
    first_ack = anyio.Event()
    seen: dict[str, Any] = {"acked": 0, "client_error": "", "error_after_kill_s": None}
    killed_at: list[float] = []

    async def agent() -> None:
        async with Client(mcp_transport(server.url, server.token)) as client:
            number = 0
            while True:
                started = time.perf_counter()
                begun = await _call(
                    client,
                    "start_episode",
                    {"task_description": f"deploy service {number}", "domain": "devops"},
                )
                episode_id = begun["episode_id"]
                for index in range(STEPS):
                    await _call(
                        client,
                        "log_step",
                        {
                            "episode_id": episode_id,
                            "tool": "kubectl",
                            "action": f"apply manifest {index}",
                            "success": True,
                            "observation": "configured\n" * 10,
                        },
                    )
                await _call(client, "complete_episode", {"episode_id": episode_id, "success": True})
                promised.append(episode_id)
                latencies.append((time.perf_counter() - started) * 1000)
                seen["acked"] += 1
                first_ack.set()
                number += 1

    async def killer() -> None:
        await first_ack.wait()
        await anyio.sleep(delay)
        server.kill()
        killed_at.append(time.monotonic())

    try:
        with anyio.fail_after(60):
            async with anyio.create_task_group() as group:
                group.start_soon(killer)
                await agent()
    except Exception as exc:  # the client fails once the server is gone: that is expected
        seen["client_error"] = type(exc).__name__
        if killed_at:
            seen["error_after_kill_s"] = round(time.monotonic() - killed_at[0], 3)
    assert killed_at, f"the server was never killed ({seen})"
    return seen


@pytest.mark.anyio
async def test_sigkill_mcp_server(tmp_path: Path, record: Recorder) -> None:
    data_dir = tmp_path / "mcp-data"
    server = McpServer(data_dir, "t0ken-" + os.urandom(8).hex(), tmp_path / "server.log")
    rng = random.Random(f"{SEED}-mcp")
    promised: list[str] = []
    latencies: list[float] = []
    rounds = []
    try:
        for _ in range(ROUNDS):
            server.start()
            delay = round(rng.uniform(*DELAYS), 3)
            seen = await _stream_until_killed(server, delay, promised, latencies)
            # Restart on the same data directory: every answered completion is there.
            server.start()
            restart_s = server.startup_s
            async with Client(mcp_transport(server.url, server.token)) as client:
                for episode_id in promised:
                    found = await _call(client, "get_episode", {"episode_id": episode_id})
                    episode = found["episode"]
                    assert episode["outcome"] is not None, f"{episode_id} lost its completion"
                    assert len(episode["steps"]) == STEPS
            assert server.stop() == 0, server.log()[-3000:]
            rounds.append({"kill_after_s": delay, "restart_s": round(restart_s, 3), **seen})
        # Service resumes: one more episode after the last kill, then a graceful stop.
        server.start()
        async with Client(mcp_transport(server.url, server.token)) as client:
            begun = await _call(
                client, "start_episode", {"task_description": "after kills", "domain": "devops"}
            )
            await _call(
                client, "complete_episode", {"episode_id": begun["episode_id"], "success": True}
            )
            promised.append(begun["episode_id"])
            stats = (await _call(client, "get_stats", {}))["stats"]
        assert server.stop() == 0, server.log()[-3000:]
    finally:
        if server.process is not None:
            kill_quietly(server.process)
    assert "Traceback" not in server.log(), server.log()[-3000:]
    integrity = integrity_check(data_dir / "memory.db")
    assert integrity == "ok"
    async with TursoStorage(data_dir / "memory.db") as storage:
        checked = await _check_durable_mcp(storage, promised)
    record(
        scenario="SIGKILL during write bursts",
        storage="memory-mcp server (HTTP, default embedded storage)",
        numbers={
            "rounds": ROUNDS,
            "acknowledged": len(promised),
            "lost": 0,
            "kill_after_s": [r["kill_after_s"] for r in rounds],
            "acked_per_round": [r["acked"] for r in rounds],
            "restart_s": [r["restart_s"] for r in rounds],
            "client_error": sorted({r["client_error"] for r in rounds}),
            "integrity": integrity,
            "completed_episodes_in_stats": stats.get("completed_episodes"),
            "episode_latency": latency_summary(latencies),
            **checked,
        },
        mechanism="SIGKILL of the memory-mcp server; MCP SDK client over streamable HTTP",
        notes=f"{STEPS} steps per episode; checked over MCP after each restart and on the file",
    )


async def _check_durable_mcp(storage: TursoStorage, promised: list[str]) -> dict[str, int]:
    found = await storage.get_episodes(as_uuids(promised))
    assert [str(episode.id) for episode in found] == promised, "acknowledged episodes lost"
    assert all(episode.is_completed for episode in found)
    return {
        "stored": await storage.count_episodes(),
        "in_progress_leftovers": await storage.count_episodes(completed=False),
    }
