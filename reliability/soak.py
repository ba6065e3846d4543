"""Scenario 5: a sustained run of concurrent agents against the real MCP HTTP server.

    python reliability/soak.py --duration 60 --agents 8 [--output FILE]

Starts ``memory-mcp --transport http`` (bearer token, free port on 127.0.0.1, a fresh
data directory, the embedded default storage: libSQL file + redb cache). ``--agents``
MCP SDK clients (streamable HTTP), each in its own session, loop like real agents for
``--duration`` seconds: ``query_memory``, ``recommend_patterns``, ``start_episode``,
2-5 ``log_step`` calls, ``complete_episode``. Every call's latency is recorded per tool.
An agent finishes the episode it is in when time is up.

Afterwards the server is stopped gracefully (SIGTERM, exit status 0), the store is opened
directly, and every acknowledged episode must exist, be completed and hold exactly the
acknowledged steps: ``lost_writes`` must be 0. Writes the numbers as JSON (default
``reliability/results/soak.json``) and exits 1 if anything was lost, failed or errored.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rel_support import (
    RESULTS,
    McpServer,
    as_uuids,
    integrity_check,
    kill_quietly,
    latency_summary,
    machine,
    mcp_transport,
)

from memory_storage_turso import TursoStorage
from memory_test_utils import generate_episodes

TOOLS = ("query_memory", "recommend_patterns", "start_episode", "log_step", "complete_episode")


@dataclass
class Stats:
    """Everything the agents measured."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    acked_steps: dict[str, int] = field(default_factory=dict)
    completed: set[str] = field(default_factory=set)


class CallFailedError(Exception):
    """A tool call that returned an error result or raised."""


async def _call(client: Client, stats: Stats, tool: str, arguments: dict[str, Any]) -> Any:
    started = time.perf_counter()
    try:
        with anyio.fail_after(60):
            result = await client.call_tool(tool, arguments)
    except Exception as exc:
        stats.errors[tool].append(f"{type(exc).__name__}: {exc}"[:300])
        raise CallFailedError(tool) from exc
    stats.latencies[tool].append((time.perf_counter() - started) * 1000)
    if result.is_error or result.structured_content is None:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        stats.errors[tool].append(text[:300])
        raise CallFailedError(tool)
    return result.structured_content


def _scenario(seed: int) -> Any:
    """An endless stream of realistic tasks (the synthetic workload's episodes)."""
    while True:
        yield from generate_episodes(200, seed=seed)
        seed += 1000


async def _agent(server: McpServer, number: int, deadline: float, stats: Stats) -> None:
    rng = random.Random(number)
    tasks = _scenario(number)
    async with Client(mcp_transport(server.url, server.token, timeout=60.0)) as client:
        while time.monotonic() < deadline:
            task = next(tasks)
            context: dict[str, Any] = {"domain": task.context.domain}
            if task.context.language:
                context["language"] = task.context.language
            if task.context.tags:
                context["tags"] = list(task.context.tags)[:5]
            try:
                await _call(
                    client,
                    stats,
                    "query_memory",
                    {"query": task.task_description, "limit": 5, **context},
                )
                await _call(
                    client,
                    stats,
                    "recommend_patterns",
                    {"task_description": task.task_description, "limit": 5, **context},
                )
                begun = await _call(
                    client,
                    stats,
                    "start_episode",
                    {"task_description": task.task_description, **context},
                )
                episode_id = str(begun["episode_id"])
                stats.acked_steps[episode_id] = 0
                steps = list(task.steps)[: rng.randint(2, 5)]
                for step in steps:
                    arguments: dict[str, Any] = {
                        "episode_id": episode_id,
                        "tool": step.tool,
                        "action": step.action,
                        "success": step.success,
                        "latency_ms": step.latency_ms,
                        "tokens": step.tokens,
                        "observation": step.observation[:2000],
                    }
                    if step.error:
                        arguments["error"] = step.error[:2000]
                    await _call(client, stats, "log_step", arguments)
                    stats.acked_steps[episode_id] += 1
                success = task.outcome is None or task.outcome.success
                await _call(
                    client,
                    stats,
                    "complete_episode",
                    {"episode_id": episode_id, "success": success, "duration_ms": 1000},
                )
                stats.completed.add(episode_id)
            except CallFailedError:
                await anyio.sleep(0.1)


async def _verify(database: Path, stats: Stats) -> dict[str, int]:
    async with TursoStorage(database) as storage:
        found = {str(e.id): e for e in await storage.get_episodes(as_uuids(stats.acked_steps))}
        stored_total = await storage.count_episodes()
    missing = [i for i in stats.acked_steps if i not in found]
    incomplete = [i for i in stats.completed if i in found and not found[i].is_completed]
    short = [i for i, n in stats.acked_steps.items() if i in found and len(found[i].steps) != n]
    return {
        "missing_episodes": len(missing),
        "lost_completions": len(incomplete),
        "step_count_mismatches": len(short),
        "stored_episodes": stored_total,
    }


async def run(duration: float, agents: int, data_dir: Path) -> dict[str, Any]:
    stats = Stats()
    server = McpServer(data_dir, "soak-" + os.urandom(12).hex(), data_dir.parent / "server.log")
    server.start()
    started = time.monotonic()
    try:
        async with anyio.create_task_group() as group:
            for number in range(agents):
                group.start_soon(_agent, server, number, started + duration, stats)
        elapsed = time.monotonic() - started
        stop_started = time.monotonic()
        status = server.stop()
        stop_s = time.monotonic() - stop_started
    finally:
        if server.process is not None:
            kill_quietly(server.process)
    log = server.log()
    checked = await _verify(data_dir / "memory.db", stats)
    integrity = integrity_check(data_dir / "memory.db")
    lost = checked["missing_episodes"] + checked["lost_completions"]
    lost += checked["step_count_mismatches"]
    per_tool = {}
    for tool in TOOLS:
        values = stats.latencies[tool]
        per_tool[tool] = {
            **latency_summary(values),
            "errors": len(stats.errors[tool]),
            "calls_per_s": round(len(values) / elapsed, 2),
        }
    all_calls = [v for values in stats.latencies.values() for v in values]
    return {
        "scenario": "Sustained run, concurrent agents over MCP HTTP",
        "duration_s": round(elapsed, 2),
        "agents": agents,
        "server_startup_s": round(server.startup_s, 2),
        "per_tool": per_tool,
        "all_calls": {
            **latency_summary(all_calls),
            "calls_per_s": round(len(all_calls) / elapsed, 2),
        },
        "episodes_started": len(stats.acked_steps),
        "episodes_completed": len(stats.completed),
        "episodes_per_s": round(len(stats.completed) / elapsed, 2),
        "steps_acknowledged": sum(stats.acked_steps.values()),
        "errors": sum(len(v) for v in stats.errors.values()),
        "error_samples": sorted({e for v in stats.errors.values() for e in v})[:5],
        "lost_writes": lost,
        **checked,
        "integrity": integrity,
        "server_exit_status": status,
        "server_stop_s": round(stop_s, 2),
        "traceback_in_server_log": "Traceback" in log,
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--agents", type=int, default=8, help="concurrent agents (default 8)")
    parser.add_argument("--output", type=Path, default=RESULTS / "soak.json")
    parser.add_argument("--backend", choices=("trio", "asyncio"), default="trio")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="soak-") as work:
        result = anyio.run(
            run, args.duration, args.agents, Path(work) / "data", backend=args.backend
        )
    result["client_backend"] = args.backend
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))
    healthy = (
        result["lost_writes"] == 0
        and result["errors"] == 0
        and result["integrity"] == "ok"
        and result["server_exit_status"] == 0
        and not result["traceback_in_server_log"]
        and result["episodes_completed"] > 0
    )
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
