"""The server over streamable HTTP: a real uvicorn process, bearer-token auth."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_helpers import HttpServer, clean_env, error_text, server_command, structured

from memory_mcp.errors import ConfigurationError
from memory_mcp.server import check_http_security
from memory_mcp.settings import Settings

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
_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer", "bearer x"],
    ids=["missing", "wrong", "basic", "empty", "short"],
)
def test_missing_or_wrong_token_is_401(http_server: HttpServer, authorization: str | None) -> None:
    headers = dict(_HEADERS)
    if authorization is not None:
        headers["Authorization"] = authorization
    response = httpx.post(http_server.url, json=_INITIALIZE, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="memory-mcp"')
    assert http_server.token not in response.text


def test_right_token_is_admitted(http_server: HttpServer) -> None:
    headers = dict(_HEADERS, Authorization=f"Bearer {http_server.token}")
    response = httpx.post(http_server.url, json=_INITIALIZE, headers=headers, timeout=10)
    assert response.status_code == 200


@pytest.mark.anyio
async def test_lifecycle_over_http(http_server: HttpServer) -> None:
    headers = {"Authorization": f"Bearer {http_server.token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with Client(streamable_http_client(http_server.url, http_client=http)) as client:
            started = structured(
                await client.call_tool(
                    "start_episode",
                    {"task_description": "Deploy service", "domain": "ops", "tags": ["k8s"]},
                )
            )
            episode_id = started["episode_id"]
            structured(
                await client.call_tool(
                    "log_step",
                    {
                        "episode_id": episode_id,
                        "tool": "kubectl",
                        "action": "apply",
                        "success": True,
                    },
                )
            )
            completed = structured(
                await client.call_tool(
                    "complete_episode", {"episode_id": episode_id, "success": True}
                )
            )
            assert completed["status"] == "success"
            ranked = structured(
                await client.call_tool("query_memory", {"query": "Deploy service", "domain": "ops"})
            )
            assert [hit["episode"]["episode_id"] for hit in ranked["results"]] == [episode_id]
            message = error_text(await client.call_tool("get_episode", {"episode_id": "x"}))
            assert "episode_id" in message
            assert structured(await client.call_tool("health_check", {}))["episodes"] == 1


@pytest.mark.anyio
async def test_sdk_client_without_token_is_refused(http_server: HttpServer) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        with pytest.raises(Exception):  # noqa: B017 - the SDK surfaces the 401 as its own error
            async with Client(streamable_http_client(http_server.url, http_client=http)):
                pass


def test_refuses_public_host_without_token(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"MEMORY_DATA_DIR": str(tmp_path)}, transport="http", host="0.0.0.0"
    )
    with pytest.raises(ConfigurationError, match="without a token"):
        check_http_security(settings)
    loopback = Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)}, transport="http")
    with pytest.raises(ConfigurationError, match="--allow-unauthenticated"):
        check_http_security(loopback)
    check_http_security(
        Settings.from_env(
            {"MEMORY_DATA_DIR": str(tmp_path)}, transport="http", allow_unauthenticated=True
        )
    )
    public_opt_out = Settings.from_env(
        {"MEMORY_DATA_DIR": str(tmp_path)},
        transport="http",
        host="0.0.0.0",
        allow_unauthenticated=True,
    )
    with pytest.raises(ConfigurationError):
        check_http_security(public_opt_out)


def test_command_exits_with_message_on_insecure_http(tmp_path: Path) -> None:
    completed = subprocess.run(
        [*server_command(), "--transport", "http", "--host", "0.0.0.0"],
        env=clean_env(tmp_path),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert b"without a token" in completed.stderr
    assert b"Traceback" not in completed.stderr
