"""The server over stdio: a spawned ``memory-mcp`` process driven by the SDK's client."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_helpers import error_text, resource_json, stdio_params, structured

from memory_mcp.tools import TOOL_NAMES

pytestmark = pytest.mark.anyio

_SEQUENCE = ("cargo", "rustc", "clippy")


async def _record_episode(client: Client, task: str, *, success: bool = True) -> str:
    started = structured(
        await client.call_tool(
            "start_episode",
            {"task_description": task, "domain": "web", "language": "rust", "tags": ["api"]},
        )
    )
    episode_id = str(started["episode_id"])
    for number, tool in enumerate(_SEQUENCE, start=1):
        logged = structured(
            await client.call_tool(
                "log_step",
                {
                    "episode_id": episode_id,
                    "tool": tool,
                    "action": f"run {tool}",
                    "success": True,
                    "latency_ms": 120,
                    "tokens": 300,
                    "observation": "ok",
                    "parameters": {"flags": ["--release"]},
                },
            )
        )
        assert logged["step_number"] == number
    completed = structured(
        await client.call_tool(
            "complete_episode",
            {"episode_id": episode_id, "success": success, "result": "done", "duration_ms": 4000},
        )
    )
    assert completed["steps"] == len(_SEQUENCE)
    assert completed["reward"]["total"] > 0
    assert set(completed["reflection"]) == {"successes", "improvements", "insights"}
    return episode_id


async def test_lists_every_tool_with_bounded_schemas(tmp_path: Path) -> None:
    async with Client(stdio_params(tmp_path)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(TOOL_NAMES) <= set(tools)
    for tool in tools.values():
        assert tool.output_schema is not None, tool.name
        assert tool.input_schema.get("additionalProperties") is False, tool.name
        for name, schema in tool.input_schema.get("properties", {}).items():
            text = json.dumps(schema)
            if '"string"' in text:
                assert "maxLength" in text or "enum" in text, (tool.name, name)
            if '"array"' in text:
                assert "maxItems" in text, (tool.name, name)
            if '"integer"' in text:
                assert "maximum" in text, (tool.name, name)


async def test_full_lifecycle_query_and_patterns(tmp_path: Path) -> None:
    params = stdio_params(tmp_path, "--learn-synchronously")
    async with Client(params) as client:
        ids = [await _record_episode(client, f"Build REST endpoint number {i}") for i in range(4)]

        episode = structured(await client.call_tool("get_episode", {"episode_id": ids[0]}))
        assert episode["episode"]["id"] == ids[0]
        assert [s["tool"] for s in episode["episode"]["steps"]] == list(_SEQUENCE)

        listed = structured(await client.call_tool("list_episodes", {"domain": "web"}))
        assert {e["episode_id"] for e in listed["episodes"]} == set(ids)

        ranked = structured(
            await client.call_tool(
                "query_memory", {"query": "Build REST endpoint", "domain": "web", "limit": 3}
            )
        )
        assert len(ranked["results"]) == 3
        scores = [hit["score"] for hit in ranked["results"]]
        assert scores == sorted(scores, reverse=True)
        assert {"semantic", "lexical", "context"} <= set(ranked["results"][0]["breakdown"])

        analyzed = structured(
            await client.call_tool(
                "analyze_patterns", {"domain": "web", "pattern_type": "tool_sequence"}
            )
        )
        sequences = [tuple(p["pattern"]["tools"]) for p in analyzed["patterns"]]
        assert ("cargo", "rustc") in sequences or _SEQUENCE in sequences, analyzed
        assert all(p["type"] == "tool_sequence" for p in analyzed["patterns"])
        assert all(p["support"] >= 3 for p in analyzed["patterns"])

        recommended = structured(
            await client.call_tool(
                "recommend_patterns",
                {"task_description": "Build a REST endpoint", "domain": "web", "language": "rust"},
            )
        )
        assert recommended["recommendations"], recommended
        top = recommended["recommendations"][0]
        assert top["breakdown"]
        assert 0.0 <= top["score"] <= 1.0

        feedback = structured(
            await client.call_tool(
                "record_pattern_feedback",
                {"pattern_id": top["pattern"]["pattern_id"], "helped": True},
            )
        )
        assert feedback["effectiveness"]["times_helped"] == 1

        structured(await client.call_tool("get_heuristics", {"domain": "web"}))
        stats = structured(await client.call_tool("get_stats", {}))
        assert stats["stats"]["completed_episodes"] == 4

        uri = f"memory://default/episodes/{ids[1]}"
        contents = await client.read_resource(uri)
        assert resource_json(contents)["id"] == ids[1]
        pattern_uri = f"memory://default/patterns/{top['pattern']['pattern_id']}"
        pattern = resource_json(await client.read_resource(pattern_uri))
        assert pattern["pattern_id"] == top["pattern"]["pattern_id"]

        deleted = structured(await client.call_tool("delete_episode", {"episode_id": ids[3]}))
        assert deleted["deleted"] is True
        gone = error_text(await client.call_tool("get_episode", {"episode_id": ids[3]}))
        assert "not found" in gone
        with pytest.raises(MCPError):
            await client.read_resource(f"memory://default/episodes/{ids[3]}")


def _bad_calls(episode_id: str) -> list[tuple[str, dict[str, Any], str]]:
    """(tool, arguments, expected words in the error) for each kind of bad argument."""
    return [
        ("start_episode", {"task_description": "x" * 10_001, "domain": "web"}, "10000"),
        ("start_episode", {"task_description": "ok", "domain": "web", "tags": ["a"] * 33}, "33"),
        ("start_episode", {"task_description": "ok", "domain": 7}, "domain"),
        ("start_episode", {"domain": "web"}, "task_description"),
        ("start_episode", {"task_description": "ok", "domain": "web", "tags": ["BAD TAG!"]}, "tag"),
        (
            "log_step",
            {"episode_id": "not-a-uuid", "tool": "t", "action": "a", "success": True},
            "episode_id",
        ),
        (
            "log_step",
            {"episode_id": episode_id, "tool": "t", "action": "a", "success": "yes"},
            "success",
        ),
        (
            "log_step",
            {
                "episode_id": episode_id,
                "tool": "t",
                "action": "a",
                "success": True,
                "latency_ms": -1,
            },
            "latency_ms",
        ),
        (
            "log_step",
            {"episode_id": str(uuid.uuid4()), "tool": "t", "action": "a", "success": True},
            "not found",
        ),
        (
            "complete_episode",
            {"episode_id": episode_id, "success": True, "status": "great"},
            "status",
        ),
        ("get_episode", {"episode_id": str(uuid.uuid4())}, "not found"),
        ("get_episode", {"episode_id": "1234"}, "episode_id"),
        ("delete_episode", {"episode_id": str(uuid.uuid4())}, "not found"),
        ("query_memory", {"query": "q", "limit": 0}, "limit"),
        ("query_memory", {"query": "q", "limit": 1001}, "limit"),
        ("query_memory", {"query": ""}, "query"),
        ("list_episodes", {"offset": "ten"}, "offset"),
        ("record_pattern_feedback", {"pattern_id": str(uuid.uuid4()), "helped": True}, "not found"),
        ("get_stats", {"namespace": "../etc"}, "namespace"),
        ("no_such_tool", {}, "no_such_tool"),
        ("list_episodes", {"limt": 5}, "limt"),
    ]


async def test_bad_arguments_give_error_results_and_server_stays_healthy(tmp_path: Path) -> None:
    async with Client(stdio_params(tmp_path)) as client:
        started = structured(
            await client.call_tool("start_episode", {"task_description": "t", "domain": "web"})
        )
        episode_id = started["episode_id"]
        for tool, arguments, expected in _bad_calls(episode_id):
            message = error_text(await client.call_tool(tool, arguments))
            assert expected.lower() in message.lower(), (tool, arguments, message)
        # Nothing was written by the rejected calls, and the server still works.
        health = structured(await client.call_tool("health_check", {}))
        assert health["status"] == "ok"
        assert health["episodes"] == 1
        episode = structured(await client.call_tool("get_episode", {"episode_id": episode_id}))
        assert episode["episode"]["steps"] == []
        assert episode["episode"]["outcome"] is None
