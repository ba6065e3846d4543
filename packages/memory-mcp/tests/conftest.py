"""Fixtures of the memory-mcp tests; helpers live in ``mcp_helpers`` beside this file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The tests import their helpers by module name (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))

from mcp_helpers import HttpServer, clean_env, free_port, server_command, stop, wait_for_port


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[HttpServer]:
    """A real HTTP server on a free loopback port with a bearer token; stopped cleanly."""
    port = free_port()
    token = "t0ken-" + os.urandom(8).hex()
    data_dir = tmp_path / "http-data"
    log = (tmp_path / "http-server.log").open("wb")
    process = subprocess.Popen(
        [*server_command(), "--transport", "http", "--port", str(port)],
        env=clean_env(data_dir, MEMORY_MCP_TOKEN=token, MEMORY_LEARN_SYNCHRONOUSLY="1"),
        stdin=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        wait_for_port(port, process)
        yield HttpServer(f"http://127.0.0.1:{port}/mcp", token, data_dir, process)
    finally:
        status = stop(process)
        log.close()
        stderr = (tmp_path / "http-server.log").read_text(errors="replace")
        # Clean shutdown: exit status 0 and no traceback in the log.
        assert status == 0, stderr
        assert "Traceback" not in stderr, stderr
