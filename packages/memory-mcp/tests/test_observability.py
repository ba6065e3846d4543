"""What an operator watches: JSON logs of a real server, get_stats metrics, Prometheus text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mcp import ClientSession, stdio_client
from mcp_helpers import stdio_params, structured

from memory_core import (
    ExecutionStep,
    MemoryConfig,
    RedactionConfig,
    SelfLearningMemory,
    TaskContext,
    TaskOutcome,
)
from memory_mcp.metrics import CONTENT_TYPE, render_stats

pytestmark = pytest.mark.anyio

_LABEL = r'[a-z_]+="(?:[^"\\]|\\.)*"'
_SAMPLE = re.compile(rf"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{{{_LABEL}(,{_LABEL})*\}})? \S+$")


async def test_server_json_logs_carry_episode_namespace_and_operation(tmp_path: Path) -> None:
    log_path = tmp_path / "server.log"
    params = stdio_params(
        tmp_path / "data", "--log-format", "json", "--log-level", "DEBUG", "--learn-synchronously"
    )
    with log_path.open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                started = structured(
                    await session.call_tool(
                        "start_episode",
                        {
                            "task_description": "Add a health endpoint",
                            "domain": "web",
                            "namespace": "team-a",
                        },
                    )
                )
                episode_id = started["episode_id"]
                logged = await session.call_tool(
                    "log_step",
                    {
                        "episode_id": episode_id,
                        "tool": "pytest",
                        "action": "run tests",
                        "success": True,
                        "namespace": "team-a",
                    },
                )
                assert not logged.is_error, logged.content
                completed = await session.call_tool(
                    "complete_episode",
                    {"episode_id": episode_id, "success": True, "namespace": "team-a"},
                )
                assert not completed.is_error, completed.content
                stats = structured(await session.call_tool("get_stats", {"namespace": "team-a"}))
    lines = log_path.read_text().splitlines()
    assert lines, "the server logged nothing at DEBUG"
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for operation in ("start_episode", "log_step", "complete_episode"):
        matching = [
            r for r in records if r["logger"] == "memory_core" and r["operation"] == operation
        ]
        assert matching, operation
        assert all(r["episode_id"] == episode_id for r in matching)
        assert all(r["namespace"] == "team-a" for r in matching)
        assert all({"ts", "level", "message"} <= r.keys() for r in matching)
    # get_stats exposes the same counters the logs describe.
    ops = stats["stats"]["operations"]
    assert ops["complete_episode"]["calls"] == 1
    assert ops["complete_episode"]["histogram"]["count"] == 1
    assert stats["stats"]["storage_metrics"]["calls"]["put_episode"]["calls"] >= 3


async def test_prometheus_text_is_well_formed_and_complete() -> None:
    context = TaskContext(domain="web")
    config = MemoryConfig(redaction=RedactionConfig(enabled=True))
    async with SelfLearningMemory(config) as memory:
        episode = await memory.start_episode(
            'Quote " and \\ in a task, key AKIAQ3EXAMPLE7KEY2ZZ', context
        )
        await memory.log_step(episode.id, ExecutionStep(tool="sh", action="make"))
        await memory.complete_episode(episode.id, TaskOutcome(success=True))
        await memory.wait_learned()
        await memory.retrieve_relevant_context("make", context)
        stats = await memory.stats()
    text = render_stats({'team "a"': stats, "b": stats}, ["b", 'team "a"'])
    assert CONTENT_TYPE.startswith("text/plain; version=0.0.4")
    assert text.endswith("\n")
    families: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in families, f"family {name} declared twice"
            families[name] = kind
        elif not line.startswith("# HELP "):
            assert _SAMPLE.match(line), line
    assert families["memory_operation_duration_seconds"] == "histogram"
    assert families["memory_storage_call_duration_seconds"] == "histogram"
    assert families["memory_learning_queue_depth"] == "gauge"
    assert families["memory_cache_hits_total"] == "counter"
    assert "memory_open_namespaces 2" in text
    assert 'namespace="team \\"a\\""' in text  # label values are escaped
    buckets = [
        line
        for line in text.splitlines()
        if line.startswith(
            'memory_operation_duration_seconds_bucket{namespace="b",operation="complete_episode"'
        )
    ]
    counts = [int(line.rsplit(" ", 1)[1]) for line in buckets]
    assert counts == sorted(counts)
    assert (
        buckets[-1].split("{")[1].startswith('namespace="b",operation="complete_episode",le="+Inf"')
    )
    assert counts[-1] == 1
    assert (
        'memory_operation_duration_seconds_count{namespace="b",operation="complete_episode"} 1'
        in text
    )
    assert 'memory_episodes{namespace="b"} 1' in text
    assert 'memory_redacted_values_total{namespace="b",kind="aws_access_key_id"} 1' in text
