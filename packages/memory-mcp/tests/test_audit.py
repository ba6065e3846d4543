"""Audit records: their fields, and a real ``memory-mcp`` process writing them as JSON lines."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp_helpers import (
    clean_env,
    error_text,
    free_port,
    http_client_transport,
    server_command,
    stop,
    structured,
    wait_for_port,
)

from memory_core.observability import JsonFormatter
from memory_mcp.audit import AUDIT_LOGGER, audit, client_address
from memory_mcp.tokens import issue_token, load_tokens

pytestmark = pytest.mark.anyio


def test_fields_and_levels(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    audit(
        principal="ci",
        operation="start_episode",
        tool="start_episode",
        namespace="team-a",
        decision="allowed",
        client="127.0.0.1:5000",
    )
    audit(principal=None, operation="POST /mcp", decision="denied", reason="no bearer token")
    allowed, denied = caplog.records
    assert allowed.levelno == logging.INFO
    assert denied.levelno == logging.WARNING
    assert allowed.getMessage() == "audit: allowed start_episode by 'ci' on namespace 'team-a'"
    assert (
        denied.getMessage() == "audit: denied POST /mcp by unauthenticated client: no bearer token"
    )
    entry = json.loads(JsonFormatter().format(allowed))
    assert {
        key: entry[key] for key in ("event", "principal", "tool", "operation", "namespace")
    } == {
        "event": "audit",
        "principal": "ci",
        "tool": "start_episode",
        "operation": "start_episode",
        "namespace": "team-a",
    }
    assert entry["decision"] == "allowed"
    assert entry["reason"] == ""
    assert entry["client"] == "127.0.0.1:5000"
    assert entry["timestamp"].endswith("+00:00")


def test_nothing_is_built_when_the_logger_is_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger=AUDIT_LOGGER)
    audit(principal="ci", operation="x", decision="denied", reason="r")
    assert not caplog.records


def test_client_address() -> None:
    assert client_address({"client": ("10.0.0.1", 4242)}) == "10.0.0.1:4242"
    assert client_address({"client": None}) is None
    assert client_address(None) is None


async def test_server_process_writes_json_audit_lines(tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.json"
    reader, _ = issue_token(tokens_file, "reader", ["read"], ["default"])
    writer, _ = issue_token(tokens_file, "writer", ["write"], ["*"])
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*server_command(), "--transport", "http", "--port", str(port),
             "--tokens-file", str(tokens_file), "--log-format", "json"],
            env=clean_env(tmp_path / "data"),
            stdin=subprocess.DEVNULL,
            stderr=log,
        )  # fmt: skip
        try:
            wait_for_port(port, process)
            url = f"http://127.0.0.1:{port}/mcp"
            async with Client(http_client_transport(url, writer)) as client:
                structured(await client.call_tool("start_episode", {
                    "task_description": "Audit me", "domain": "ops", "namespace": "team-a",
                }))  # fmt: skip
            async with Client(http_client_transport(url, reader)) as client:
                message = error_text(
                    await client.call_tool("query_memory", {"query": "x", "namespace": "team-a"})
                )
                assert message == "access denied: token 'reader' may not access namespace 'team-a'"
            assert (
                httpx.post(
                    url, json={}, headers={"Authorization": "Bearer guessed-123456"}
                ).status_code
                == 401
            )
        finally:
            assert stop(process) == 0
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    events = [line for line in lines if line.get("event") == "audit"]
    summary = {(e["principal"], e["operation"], e["namespace"], e["decision"]) for e in events}
    assert ("writer", "start_episode", "team-a", "allowed") in summary
    assert ("reader", "query_memory", "team-a", "denied") in summary
    assert (None, "POST /mcp", None, "denied") in summary
    for event in events:
        assert event["logger"] == AUDIT_LOGGER
        assert event["timestamp"]
        assert event["client"]
    text = log_path.read_text()
    for secret in (reader, writer, "guessed-123456", *(r.sha256 for r in load_tokens(tokens_file))):
        assert secret not in text
    assert "Traceback" not in text


def test_client_text_cannot_forge_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    audit(principal="ci", operation="x\naudit: allowed y", decision="denied", reason="r")
    (record,) = caplog.records
    assert "\n" not in record.getMessage()
