"""Helpers of the memory-mcp tests: spawning servers, reading tool results.

The environment handed to spawned servers drops any ``MEMORY_*`` variable of the
developer's shell, so every server stores where the test says.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import StdioServerParameters
from mcp_types import CallToolResult, ReadResourceResult, TextResourceContents


def server_command() -> list[str]:
    """The installed ``memory-mcp`` console script (falls back to ``python -m``)."""
    script = Path(sys.executable).parent / "memory-mcp"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "memory_mcp.server"]


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The current environment without MEMORY_* variables, storing under ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    env["MEMORY_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def stdio_params(data_dir: Path, *args: str, **env: str) -> StdioServerParameters:
    """Parameters spawning ``memory-mcp`` over stdio on ``data_dir``."""
    command = server_command()
    return StdioServerParameters(
        command=command[0], args=[*command[1:], *args], env=clean_env(data_dir, **env)
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured content of a successful tool result (fails the test otherwise)."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return dict(result.structured_content)


def error_text(result: CallToolResult) -> str:
    """The message of an error result (fails the test if the call succeeded)."""
    assert result.is_error, result.structured_content
    text = " ".join(getattr(block, "text", "") for block in result.content)
    assert "Traceback" not in text
    return text


@dataclass
class HttpServer:
    """A spawned ``memory-mcp --transport http`` process."""

    url: str
    token: str
    data_dir: Path
    process: subprocess.Popen[bytes]


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    """Block until something accepts on ``port`` (or fail if ``process`` died).

    Generous: an editable memory-core install may compile its kernels on import.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """SIGTERM ``process`` and wait for it; returns its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def http_client_transport(url: str, token: str | None) -> Any:
    """An SDK streamable-HTTP transport to ``url`` sending ``token`` as a bearer header."""
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    client = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0))
    return streamable_http_client(url, http_client=client)


def resource_json(result: ReadResourceResult) -> Any:
    """The JSON document of a text resource."""
    (contents,) = result.contents
    assert isinstance(contents, TextResourceContents), contents
    return json.loads(contents.text)
