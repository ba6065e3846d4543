"""Property-based fuzzing of every tool: no crash, clear errors, no partial writes.

Hypothesis generates argument sets mixing valid values, boundary values, wrong
types, malformed and foreign ids, control characters and oversized payloads, and
sends them to an in-process server on real (file) storage through the SDK's
client. The test runs the server in a blocking portal so hypothesis drives it
from ordinary synchronous code, under trio and under asyncio.

After every call: the server answered (no protocol error), an error result has a
specific message (never the SDK's generic crash text), and a rejected call left
the store as it was (episode and pattern counts, and the targeted records).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp_helpers import structured

from memory_core import SelfLearningMemory
from memory_mcp import MemoryPool, Settings, build_server
from memory_mcp.tools import TOOL_NAMES

#: Argument sets sent per backend (the issue asks for at least 5,000).
EXAMPLES = 5_000
NAMESPACES = (None, "fuzz-a", "fuzz-b")


@dataclass
class Harness:
    """A running server, a connected client and the ids seeded in each namespace."""

    portal: BlockingPortal
    client: Client
    pool: MemoryPool
    episode_ids: list[str] = field(default_factory=list)
    pattern_ids: list[str] = field(default_factory=list)
    calls: int = 0
    errors: int = 0

    def call(self, tool: str, arguments: dict[str, Any]) -> Any:
        self.calls += 1
        return self.portal.call(self.client.call_tool, tool, arguments)

    def snapshot(self, arguments: dict[str, Any]) -> tuple[Any, ...]:
        """What a rejected call must not change, in the namespace it named (if valid)."""
        namespace = arguments.get("namespace")
        if namespace is not None and namespace not in NAMESPACES:
            namespace = None
        return self.portal.call(self._snapshot, namespace, arguments)

    async def _snapshot(self, namespace: str | None, arguments: dict[str, Any]) -> tuple[Any, ...]:
        async with self.pool.lease(namespace) as memory:
            return await _state(memory, arguments)


async def _state(memory: SelfLearningMemory, arguments: dict[str, Any]) -> tuple[Any, ...]:
    storage = memory.storage
    state: list[Any] = [await storage.count_episodes(), await storage.count_patterns()]
    for key in ("episode_id", "pattern_id"):
        try:
            target = uuid.UUID(str(arguments.get(key)))
        except ValueError:
            continue
        if key == "episode_id":
            state.append(await storage.get_episode(target))
        else:
            state.append(await storage.get_pattern(target))
    return tuple(state)


async def _seed(client: Client) -> tuple[list[str], list[str]]:
    episode_ids: list[str] = []
    pattern_ids: list[str] = []
    for namespace in NAMESPACES:
        scope = {} if namespace is None else {"namespace": namespace}
        for i in range(4):
            started = structured(
                await client.call_tool(
                    "start_episode",
                    {"task_description": f"seed task {i}", "domain": "web", **scope},
                )
            )
            episode_id = started["episode_id"]
            episode_ids.append(episode_id)
            for tool in ("git", "pytest", "ruff"):
                step = {"episode_id": episode_id, "tool": tool, "action": "run", "success": True}
                structured(await client.call_tool("log_step", {**step, **scope}))
            if i < 3:  # one in-progress episode per namespace stays open for log_step
                done = {"episode_id": episode_id, "success": True, **scope}
                structured(await client.call_tool("complete_episode", done))
        analyzed = structured(await client.call_tool("analyze_patterns", scope))
        pattern_ids.extend(p["pattern_id"] for p in analyzed["patterns"])
    return episode_ids, pattern_ids


@pytest.fixture(scope="module", params=["trio", "asyncio"])
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    data_dir: Path = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    server_settings = Settings.from_env(
        {"MEMORY_DATA_DIR": str(data_dir)}, learn_synchronously=True
    )
    server, pool = build_server(server_settings)
    with start_blocking_portal(request.param) as portal:
        with portal.wrap_async_context_manager(Client(server)) as client:
            episode_ids, pattern_ids = portal.call(_seed, client)
            yield Harness(portal, client, pool, episode_ids, pattern_ids)


# Strategies ------------------------------------------------------------------
_BIG = ("a" * 10_000, "a" * 10_001, "b" * 200, "b" * 201, "é" * 5_000, "x" * 100_001)
_NASTY = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "line\nbreak",
    "\x1b[31m",
    "'; DROP TABLE episodes; --",
    "ß∂ƒ😀",
)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
text = st.one_of(st.text(max_size=40), st.sampled_from(_NASTY), st.sampled_from(_BIG))
names = st.one_of(st.sampled_from(("web", "rust", "cargo", "Web", "data-eng")), text)
tags = st.one_of(
    st.lists(st.sampled_from(("api", "db", "x", "UPPER", "ok-tag", "a b", "t" * 101)), max_size=4),
    st.lists(st.just("ab"), min_size=33, max_size=34),
)
counts = st.one_of(
    st.integers(min_value=-5, max_value=2_000),
    st.sampled_from((0, 1, 1_000, 1_001, 604_800_000, 604_800_001, 100_000_001, 2**63)),
)
namespaces = st.one_of(st.sampled_from(NAMESPACES), st.sampled_from(("UPPER", "a/b", "x" * 65, "")))
flags = st.booleans()
params = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8)), max_size=4),
    st.just({"blob": "x" * (1 << 20)}),
    st.just({str(i): i for i in range(300)}),
)


def _maybe_bad(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(good, good, good, junk)


def _ids(harness: Harness, pick_patterns: bool) -> st.SearchStrategy[Any]:
    known = harness.pattern_ids if pick_patterns else harness.episode_ids
    return st.one_of(
        st.sampled_from(known or [str(uuid.uuid4())]),
        st.uuids().map(str),
        st.uuids().map(lambda u: str(u).upper()),
        st.sampled_from(("not-a-uuid", "", "00000000-0000-0000-0000-00000000000g", "1" * 36)),
        junk,
    )


def _arguments(harness: Harness) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    episode = _ids(harness, pick_patterns=False)
    pattern = _ids(harness, pick_patterns=True)
    shapes: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
        "start_episode": (
            {"task_description": text, "domain": names},
            {
                "language": names,
                "framework": names,
                "complexity": st.sampled_from(("simple", "moderate", "complex", "extreme")),
                "task_type": names,
                "tags": tags,
            },
        ),
        "log_step": (
            {"episode_id": episode, "tool": names, "action": text, "success": flags},
            {
                "latency_ms": counts,
                "tokens": counts,
                "observation": text,
                "error": text,
                "parameters": params,
            },
        ),
        "complete_episode": (
            {"episode_id": episode, "success": flags},
            {
                "result": text,
                "error": text,
                "duration_ms": counts,
                "status": st.sampled_from(("success", "partial", "failure", "abstained", "meh")),
                "artifacts": st.lists(text, max_size=3),
            },
        ),
        "query_memory": (
            {"query": text},
            {"domain": names, "language": names, "framework": names, "tags": tags, "limit": counts},
        ),
        "analyze_patterns": (
            {},
            {
                "domain": names,
                "language": names,
                "tags": tags,
                "pattern_type": st.sampled_from(("tool_sequence", "error_recovery", "nope")),
                "min_success_rate": st.floats(allow_nan=True),
                "limit": counts,
            },
        ),
        "recommend_patterns": (
            {"task_description": text},
            {"domain": names, "language": names, "tags": tags, "limit": counts},
        ),
        "get_episode": ({"episode_id": episode}, {}),
        "list_episodes": (
            {},
            {
                "domain": names,
                "tags": tags,
                "outcome": st.sampled_from(("success", "failure", "bogus")),
                "limit": counts,
                "offset": counts,
            },
        ),
        "delete_episode": ({"episode_id": episode}, {}),
        "get_heuristics": ({}, {"domain": names, "language": names, "tags": tags, "limit": counts}),
        "record_pattern_feedback": ({"pattern_id": pattern, "helped": flags}, {}),
        "health_check": ({}, {}),
        "get_stats": ({}, {}),
    }
    strategies: dict[str, st.SearchStrategy[dict[str, Any]]] = {}
    for tool, (required, optional) in shapes.items():
        required_bad = {k: _maybe_bad(v) for k, v in required.items()}
        optional_bad = {k: _maybe_bad(v) for k, v in optional.items()}
        optional_bad["namespace"] = namespaces
        complete = st.fixed_dictionaries(required_bad, optional=optional_bad)
        missing = st.fixed_dictionaries({}, optional={**required_bad, **optional_bad})
        extra = st.builds(
            lambda base, key, value: {**base, key: value},
            complete,
            st.sampled_from(("unknown", "__proto__", "id")),
            junk,
        )
        strategies[tool] = st.one_of(complete, complete, complete, missing, extra)
    assert set(strategies) == set(TOOL_NAMES)
    return strategies


_WRITES = {
    "start_episode",
    "log_step",
    "complete_episode",
    "delete_episode",
    "record_pattern_feedback",
}


def test_every_tool_survives_generated_arguments(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    strategies = _arguments(harness)
    calls = st.sampled_from(sorted(strategies)).flatmap(
        lambda tool: st.tuples(st.just(tool), strategies[tool])
    )
    per_tool: dict[str, int] = dict.fromkeys(strategies, 0)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(call=calls)
    def check(call: tuple[str, dict[str, Any]]) -> None:
        tool, arguments = call
        per_tool[tool] += 1
        before = harness.snapshot(arguments) if tool in _WRITES else None
        result = harness.call(tool, arguments)
        text = " ".join(getattr(block, "text", "") for block in result.content)
        if result.is_error:
            harness.errors += 1
            # The SDK's crash message is exactly "Error executing tool <name>": a bug here.
            assert text.strip() != f"Error executing tool {tool}", arguments
            assert "Traceback" not in text
            if before is not None:
                assert harness.snapshot(arguments) == before, (tool, arguments, text)
        else:
            assert result.structured_content is not None, (tool, text)

    check()
    assert harness.calls >= EXAMPLES
    assert min(per_tool.values()) >= EXAMPLES // (3 * len(per_tool)), per_tool
    # Invalid arguments really were produced, and so were valid ones.
    assert EXAMPLES // 5 < harness.errors < harness.calls
    crashes = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not crashes, crashes[:5]
    health = structured(harness.portal.call(harness.client.call_tool, "health_check", {}))
    assert health["status"] == "ok"
