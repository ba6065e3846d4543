"""Scoped tokens over real HTTP: scopes, namespaces, revocation, /metrics, the audit trail.

One uvicorn server (in a thread, on a free loopback port) serves the app the
``memory-mcp --transport http`` command serves; the tests talk to it with the SDK's
streamable HTTP client, under trio and asyncio.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_helpers import error_text, free_port, http_client_transport, resource_json, structured

from memory_mcp import tools as tools_module
from memory_mcp.access import Principal, Scope, check_tool_call
from memory_mcp.audit import AUDIT_LOGGER
from memory_mcp.authorization import resource_namespace
from memory_mcp.http_app import build_authenticator, build_http_app
from memory_mcp.http_auth import ANONYMOUS, STATIC_TOKEN_PRINCIPAL
from memory_mcp.namespaces import MemoryPool
from memory_mcp.settings import Settings
from memory_mcp.tokens import issue_token, revoke_token

pytestmark = pytest.mark.anyio

_STATIC = "static-" + "s3cret" * 6
# name -> (scopes, namespaces)
_GRANTS: dict[str, tuple[list[Scope], list[str]]] = {
    "reader": (["read"], ["default", "team-a"]),
    "writer": (["write"], ["default", "team-a"]),
    "admin": (["admin"], ["*"]),
    "team-a-agent": (["write"], ["team-a"]),
    "to-revoke": (["read"], ["*"]),
}


@dataclass
class AccessServer:
    """The running server, its URL and the clear tokens the tests present."""

    base: str
    tokens: dict[str, str]
    tokens_file: Path

    @property
    def url(self) -> str:
        return self.base + "/mcp"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccessServer]:
    root = tmp_path_factory.mktemp("access")
    tokens_file = root / "tokens.json"
    tokens = {
        name: issue_token(tokens_file, name, scopes, namespaces)[0]
        for name, (scopes, namespaces) in _GRANTS.items()
    }
    tokens["static"] = _STATIC
    port = free_port()
    settings = Settings.from_env(
        {"MEMORY_DATA_DIR": str(root / "data")},
        transport="http",
        port=port,
        http_token=_STATIC,
        tokens_file=tokens_file,
        learn_synchronously=True,
        cache_enabled=False,
    )
    app, _ = build_http_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not uvicorn_server.started:
        assert thread.is_alive(), "the server thread died"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield AccessServer(f"http://127.0.0.1:{port}", tokens, tokens_file)
    finally:
        uvicorn_server.should_exit = True
        thread.join(30)


@pytest.fixture
def audit_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Audit records of this test (the server thread logs into the same root handler)."""
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    return caplog


@asynccontextmanager
async def _client(server: AccessServer, who: str) -> AsyncIterator[Client]:
    async with Client(http_client_transport(server.url, server.tokens[who])) as client:
        yield client


def _audit_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == AUDIT_LOGGER]


def _start_args(namespace: str | None = None, task: str = "Write a parser") -> dict[str, Any]:
    arguments: dict[str, Any] = {"task_description": task, "domain": "parsing"}
    if namespace is not None:
        arguments["namespace"] = namespace
    return arguments


async def _episode_count(server: AccessServer, namespace: str) -> int:
    async with _client(server, "admin") as admin:
        listed = structured(
            await admin.call_tool("list_episodes", {"namespace": namespace, "limit": 1000})
        )
    return int(listed["count"])


async def test_read_token_reads_but_cannot_write(server: AccessServer) -> None:
    before = await _episode_count(server, "default")
    async with _client(server, "reader") as client:
        structured(await client.call_tool("query_memory", {"query": "parser"}))
        structured(await client.call_tool("list_episodes", {"namespace": "team-a"}))
        structured(await client.call_tool("health_check", {}))
        message = error_text(await client.call_tool("start_episode", _start_args()))
        assert message == (
            "access denied: token 'reader' lacks the 'write' scope required by start_episode"
        )
        for tool, arguments in (
            ("log_step", {"episode_id": "0" * 32, "tool": "t", "action": "a", "success": True}),
            ("complete_episode", {"episode_id": "0" * 32, "success": True}),
            ("delete_episode", {"episode_id": "0" * 32}),
            ("record_pattern_feedback", {"pattern_id": "0" * 32, "helped": True}),
        ):
            assert "lacks the" in error_text(await client.call_tool(tool, arguments)), tool
    assert await _episode_count(server, "default") == before  # nothing was written


async def test_write_token_records_but_cannot_delete(server: AccessServer) -> None:
    async with _client(server, "writer") as client:
        started = structured(await client.call_tool("start_episode", _start_args("team-a")))
        episode_id = started["episode_id"]
        step = {"episode_id": episode_id, "tool": "pytest", "action": "run", "success": True}
        structured(await client.call_tool("log_step", {**step, "namespace": "team-a"}))
        structured(
            await client.call_tool(
                "complete_episode",
                {"episode_id": episode_id, "success": True, "namespace": "team-a"},
            )
        )
        refused = error_text(
            await client.call_tool(
                "delete_episode", {"episode_id": episode_id, "namespace": "team-a"}
            )
        )
        assert "lacks the 'admin' scope required by delete_episode" in refused
        # still there
        fetched = structured(
            await client.call_tool("get_episode", {"episode_id": episode_id, "namespace": "team-a"})
        )
        assert fetched["episode"]["id"] == episode_id
    async with _client(server, "admin") as admin:
        deleted = structured(
            await admin.call_tool(
                "delete_episode", {"episode_id": episode_id, "namespace": "team-a"}
            )
        )
        assert deleted["deleted"] is True


@pytest.mark.parametrize("who", ["admin", "static"])
async def test_admin_and_static_tokens_may_do_everything(server: AccessServer, who: str) -> None:
    async with _client(server, who) as client:
        started = structured(await client.call_tool("start_episode", _start_args("elsewhere")))
        episode_id = started["episode_id"]
        structured(
            await client.call_tool(
                "complete_episode",
                {"episode_id": episode_id, "success": True, "namespace": "elsewhere"},
            )
        )
        structured(await client.call_tool("get_stats", {"namespace": "elsewhere"}))
        structured(
            await client.call_tool(
                "delete_episode", {"episode_id": episode_id, "namespace": "elsewhere"}
            )
        )


async def test_namespace_outside_the_token_is_refused(server: AccessServer) -> None:
    before = await _episode_count(server, "team-b")
    async with _client(server, "team-a-agent") as client:
        structured(await client.call_tool("start_episode", _start_args("team-a")))
        explicit = error_text(await client.call_tool("start_episode", _start_args("team-b")))
        assert explicit == "access denied: token 'team-a-agent' may not access namespace 'team-b'"
        default = error_text(await client.call_tool("query_memory", {"query": "parser"}))
        assert default == ("access denied: token 'team-a-agent' may not access namespace 'default'")
        # Resources are checked the same way.
        assert isinstance(
            resource_json(await client.read_resource("memory://team-a/episodes")), list
        )
        for uri in ("memory://team-b/episodes", "memory://episodes"):
            with pytest.raises(MCPError, match="may not access namespace"):
                await client.read_resource(uri)
    assert await _episode_count(server, "team-b") == before


async def test_concurrent_clients_keep_their_own_principal(server: AccessServer) -> None:
    outcomes: dict[str, list[bool]] = {"team-a-agent": [], "admin": []}

    async def hammer(who: str) -> None:
        async with _client(server, who) as client:
            for _ in range(8):
                result = await client.call_tool("health_check", {"namespace": "team-b"})
                outcomes[who].append(not result.is_error)

    async with anyio.create_task_group() as group:
        group.start_soon(hammer, "team-a-agent")
        group.start_soon(hammer, "admin")
    assert outcomes == {"team-a-agent": [False] * 8, "admin": [True] * 8}


def test_unknown_and_revoked_tokens_get_401(server: AccessServer) -> None:
    headers = {"Accept": "application/json, text/event-stream"}
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    for token in ("not-a-token", server.tokens["reader"] + "x"):
        response = httpx.post(
            server.url, json=ping, headers={**headers, "Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
    token = server.tokens["to-revoke"]
    metrics_before = httpx.get(
        server.base + "/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    assert metrics_before.status_code == 403  # known (read scope), so not 401
    revoke_token(server.tokens_file, "to-revoke")
    response = httpx.get(server.base + "/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="memory-mcp"')


async def test_revoked_token_cannot_connect_with_the_sdk(server: AccessServer) -> None:
    name = "short-lived"
    token, _ = issue_token(server.tokens_file, name, ["read"], ["*"])
    server.tokens[name] = token
    async with _client(server, name) as client:
        structured(await client.call_tool("health_check", {}))
    revoke_token(server.tokens_file, name)
    with pytest.raises(Exception):  # noqa: B017 - the SDK surfaces the 401 as its own error
        async with _client(server, name):
            pass


def test_metrics_need_the_admin_scope(server: AccessServer) -> None:
    url = server.base + "/metrics"
    assert httpx.get(url).status_code == 401
    reader = httpx.get(url, headers={"Authorization": f"Bearer {server.tokens['reader']}"})
    assert reader.status_code == 403
    assert reader.json()["error"] == "insufficient_scope"
    admin = httpx.get(url, headers={"Authorization": f"Bearer {server.tokens['admin']}"})
    assert admin.status_code == 200
    assert admin.headers["content-type"].startswith("text/plain; version=0.0.4")


async def test_audit_records_allowed_and_denied_calls(
    server: AccessServer, audit_log: pytest.LogCaptureFixture
) -> None:
    async with _client(server, "reader") as client:
        structured(await client.call_tool("list_episodes", {"namespace": "team-a"}))
        error_text(await client.call_tool("start_episode", _start_args()))
    httpx.post(server.url, json={}, headers={"Authorization": "Bearer wrong-token-123456"})
    httpx.get(
        server.base + "/metrics", headers={"Authorization": f"Bearer {server.tokens['reader']}"}
    )
    records = [vars(r) for r in _audit_records(audit_log)]
    seen = [(r["principal"], r["tool"], r["namespace"], r["decision"]) for r in records]
    assert ("reader", "list_episodes", "team-a", "allowed") in seen
    assert ("reader", "start_episode", "default", "denied") in seen
    assert (None, None, None, "denied") in seen  # the unknown token
    assert ("reader", None, None, "denied") in seen  # /metrics
    for record in records:
        assert record["event"] == "audit"
        allowed = record["decision"] == "allowed"
        assert record["levelno"] == (logging.INFO if allowed else logging.WARNING)
        assert record["timestamp"]
        assert record["operation"]
        assert record["client"].startswith("127.0.0.1:")
    denied = next(r for r in records if r["tool"] == "start_episode")
    assert denied["reason"] == "token 'reader' lacks the 'write' scope required by start_episode"
    # No token, in clear or hashed, reaches any log line or field.
    text = "\n".join(f"{r.getMessage()} {vars(r)}" for r in audit_log.records)
    for token in [*server.tokens.values(), "wrong-token-123456"]:
        assert token not in text
    stored = server.tokens_file.read_text()
    assert not any(token in stored for token in server.tokens.values())
    for entry in json.loads(stored)["tokens"]:
        assert entry["sha256"] not in text


def test_every_tool_is_classified(tmp_path: Path) -> None:
    pool = MemoryPool(Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)}))
    built = tools_module.build_tools(pool, "0")
    unclassified = {tool.name for tool in built} - set(tools_module.TOOL_SCOPES)
    assert not unclassified, f"add these tools to memory_mcp.tools.TOOL_SCOPES: {unclassified}"
    assert {tool.name for tool in built} == set(tools_module.TOOL_SCOPES)
    for tool in built:
        scope = tools_module.TOOL_SCOPES[tool.name]
        assert tool.annotations is not None
        # The published hints agree with the scope: read-only tools need only "read",
        # destructive ones "admin".
        assert (scope == "read") == bool(tool.annotations.read_only_hint), tool.name
        if tool.annotations.destructive_hint:
            assert scope == "admin", tool.name


def test_an_unknown_tool_needs_admin() -> None:
    writer = Principal.create("w", ["write"], ["*"])
    decision = check_tool_call(writer, "new_tool", "default", tools_module.TOOL_SCOPES)
    assert not decision.allowed
    assert "'admin' scope required by new_tool" in decision.reason
    admin = Principal.create("a", ["admin"], ["default"])
    assert check_tool_call(admin, "new_tool", "default", tools_module.TOOL_SCOPES).allowed
    assert not check_tool_call(admin, "get_stats", "other", tools_module.TOOL_SCOPES).allowed


def test_authenticator_modes(tmp_path: Path) -> None:
    env = {"MEMORY_DATA_DIR": str(tmp_path)}
    open_mode = build_authenticator(
        Settings.from_env(env, transport="http", allow_unauthenticated=True)
    )
    assert open_mode.authenticate(None) == ANONYMOUS
    static = build_authenticator(Settings.from_env(env, transport="http", http_token=_STATIC))
    assert static.authenticate(_STATIC.encode()) == STATIC_TOKEN_PRINCIPAL
    assert static.authenticate(None) is None
    assert static.authenticate(_STATIC[:-1].encode()) is None
    assert _STATIC not in repr(static)


@pytest.mark.parametrize(
    ("uri", "namespace"),
    [
        ("memory://episodes", "default"),
        ("memory://patterns", "default"),
        ("memory://team-a/episodes", "team-a"),
        ("memory://team-a/episodes/0b0e", "team-a"),
        ("memory://team%2Db/patterns", "team-b"),
        ("file:///etc/passwd", None),
    ],
)
def test_resource_namespace(uri: str, namespace: str | None) -> None:
    assert resource_namespace(uri, "default") == namespace
