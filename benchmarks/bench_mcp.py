"""MCP server round trips over stdio: ``query_memory`` at 10k stored episodes, calls per second.

A store (embedded libSQL file + redb cache, the server's defaults) is filled with
``generate_episodes(10_000)`` through ``import_episodes`` before a ``memory-mcp``
process is spawned on it; the SDK's client then times, one call at a time:

- ``query_memory`` (limit 5) for varied task descriptions: p50 / p95 / mean;
- sequential calls per second for ``health_check``, ``get_episode`` and a
  ``start_episode`` + ``log_step`` + ``complete_episode`` lifecycle.

Run as a script (prints a markdown table)::

    python benchmarks/bench_mcp.py [--episodes 10000] [--queries 300] [--backend trio]

``nox -s bench`` runs the pytest-benchmark variant below.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from memory_mcp import Settings, open_memory
from memory_test_utils.workloads import generate_episodes

QUERIES = (
    "Build a REST endpoint for user login",
    "Fix the failing database migration",
    "Refactor the payment service for testability",
    "Add caching to the product search API",
    "Debug a flaky integration test in CI",
    "Write a data pipeline that deduplicates events",
    "Deploy the web app to kubernetes",
    "Optimize a slow SQL query",
)


async def preload(data_dir: Path, episodes: int) -> float:
    """Import ``episodes`` generated episodes into the default store; returns seconds."""
    started = time.perf_counter()
    async with open_memory(Settings.from_env({"MEMORY_DATA_DIR": str(data_dir)})) as memory:
        await memory.import_episodes(generate_episodes(episodes, seed=1))
    return time.perf_counter() - started


def _params(data_dir: Path) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    env["MEMORY_DATA_DIR"] = str(data_dir)
    script = Path(sys.executable).parent / "memory-mcp"
    return StdioServerParameters(command=str(script), env=env)


async def _timed(call: Callable[[], Awaitable[Any]], count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - started)
        assert not result.is_error, result.content
    return times


async def measure(data_dir: Path, queries: int) -> dict[str, float]:
    """Spawn a server on ``data_dir`` and time the calls (see the module docstring)."""
    results: dict[str, float] = {}
    started = time.perf_counter()
    async with Client(_params(data_dir)) as client:
        results["connect_s"] = time.perf_counter() - started
        listed = await client.call_tool("list_episodes", {"limit": 50})
        assert listed.structured_content is not None
        ids = [e["episode_id"] for e in listed.structured_content["episodes"]]
        counter = iter(range(10**9))

        def query() -> Awaitable[Any]:
            text = QUERIES[next(counter) % len(QUERIES)]
            return client.call_tool("query_memory", {"query": text, "domain": "web", "limit": 5})

        await _timed(query, 20)  # warm-up
        times = sorted(await _timed(query, queries))
        results["query_p50_ms"] = statistics.median(times) * 1000
        results["query_p95_ms"] = times[int(0.95 * (len(times) - 1))] * 1000
        results["query_mean_ms"] = statistics.fmean(times) * 1000

        health = await _timed(lambda: client.call_tool("health_check", {}), queries)
        results["health_check_per_s"] = len(health) / sum(health)

        def get() -> Awaitable[Any]:
            return client.call_tool("get_episode", {"episode_id": ids[next(counter) % len(ids)]})

        fetched = await _timed(get, queries)
        results["get_episode_per_s"] = len(fetched) / sum(fetched)

        lifecycles = max(queries // 10, 10)
        begin = time.perf_counter()
        for n in range(lifecycles):
            started_ep = await client.call_tool(
                "start_episode", {"task_description": f"Benchmark task {n}", "domain": "web"}
            )
            assert started_ep.structured_content is not None
            episode_id = started_ep.structured_content["episode_id"]
            step = {"episode_id": episode_id, "tool": "pytest", "action": "run", "success": True}
            await client.call_tool("log_step", step)
            await client.call_tool("complete_episode", {"episode_id": episode_id, "success": True})
        elapsed = time.perf_counter() - begin
        results["lifecycle_calls_per_s"] = 3 * lifecycles / elapsed
    return results


@pytest.mark.benchmark(group="mcp")
def test_query_memory_round_trip_over_stdio(benchmark: Any, tmp_path: Path) -> None:
    anyio.run(preload, tmp_path, 10_000)
    numbers = benchmark.pedantic(lambda: anyio.run(measure, tmp_path, 100), rounds=1, iterations=1)
    benchmark.extra_info.update(numbers)
    assert numbers["query_p50_ms"] > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--backend", choices=["trio", "asyncio"], default="trio")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mcp-") as tmp:
        data_dir = Path(tmp)
        load_s = anyio.run(preload, data_dir, args.episodes, backend=args.backend)
        numbers = anyio.run(measure, data_dir, args.queries, backend=args.backend)
    print(f"stored episodes: {args.episodes:,} (import {load_s:.1f} s); client on {args.backend}")
    print("| measure | value |")
    print("|---|---:|")
    for name, value in numbers.items():
        print(f"| {name} | {value:.2f} |")


if __name__ == "__main__":
    main()
