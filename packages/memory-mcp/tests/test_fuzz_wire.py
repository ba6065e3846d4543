"""Fuzzing the raw stdio wire of a real ``memory-mcp`` process.

test_fuzz.py fuzzes tool *arguments* through the SDK client, which only ever
sends well-formed JSON-RPC. This fuzzes what a broken or hostile client can put
on the pipe: bytes that are not UTF-8, text that is not JSON, JSON that is not
JSON-RPC, JSON-RPC with wrong versions, ids, methods and params, batches, stray
responses, and well-formed requests with arbitrary arguments.

One server process serves every example. After each fuzzed line a ``ping`` with
a fresh id is sent; the properties are that the process never exits, every line
it writes to stdout is a JSON-RPC 2.0 message (stdout belongs to the protocol:
logs and tracebacks go to stderr), and the ping is answered.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp_helpers import clean_env, server_command, stop

from memory_mcp.tools import TOOL_NAMES

#: Wait for one answer; generous because a fuzzed tool call may run first.
ANSWER_TIMEOUT = 20.0
PROTOCOL_VERSION = "2025-06-18"


@dataclass
class WireServer:
    """A ``memory-mcp`` stdio process, written to line by line, its stdout read by a thread."""

    process: subprocess.Popen[bytes]
    lines: queue.Queue[bytes] = field(default_factory=queue.Queue)
    seen: int = 0
    probes: int = 0

    def send(self, line: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(line + b"\n")
        stdin.flush()

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a request with a fresh id and return its response."""
        self.probes += 1
        probe_id = f"probe-{self.probes}"
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": probe_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(json.dumps(message).encode())
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no answer to {method} {probe_id}"
            assert self.process.poll() is None, f"server exited: {self.process.returncode}"
            try:
                raw = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            answer = _protocol_message(raw)
            self.seen += 1
            if answer.get("id") == probe_id:
                return answer


def _protocol_message(raw: bytes) -> dict[str, Any]:
    """``raw`` must be one JSON-RPC 2.0 message: anything else on stdout breaks the client."""
    assert raw.endswith(b"\n"), raw
    message = json.loads(raw)
    assert isinstance(message, dict), raw
    assert message.get("jsonrpc") == "2.0", raw
    assert ("id" in message and ("result" in message) != ("error" in message)) or (
        "method" in message
    ), raw
    return message


def _pump(stream: IO[bytes], lines: queue.Queue[bytes]) -> None:
    for line in stream:
        lines.put(line)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WireServer]:
    data_dir: Path = tmp_path_factory.mktemp("wire")
    stderr_path = data_dir / "stderr.log"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            server_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=clean_env(data_dir / "store", MEMORY_LEARN_SYNCHRONOUSLY="1"),
        )
        assert process.stdout is not None
        wire = WireServer(process)
        threading.Thread(target=_pump, args=(process.stdout, wire.lines), daemon=True).start()
        try:
            hello = wire.request(
                "initialize",
                {
                    "protocolVersion": PROTOCOL_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "wire-fuzz", "version": "0"},
                },
            )
            assert "result" in hello, hello
            wire.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')
            started = wire.request(
                "tools/call",
                {
                    "name": "start_episode",
                    "arguments": {"task_description": "wire fuzz seed", "domain": "web"},
                },
            )
            assert started["result"].get("isError") is not True, started
            yield wire
        finally:
            if process.stdin is not None:
                process.stdin.close()  # EOF: the server shuts down cleanly
            status = stop(process)
    log = stderr_path.read_text(errors="replace")
    assert status == 0, log
    assert "Traceback" not in log, log


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
methods = st.sampled_from(
    [
        "ping",
        "initialize",
        "tools/list",
        "tools/call",
        "resources/list",
        "resources/read",
        "resources/templates/list",
        "prompts/list",
        "prompts/get",
        "completion/complete",
        "logging/setLevel",
        "notifications/cancelled",
        "notifications/initialized",
        "notifications/progress",
    ]
) | st.text(max_size=30)
ids = (
    st.none()
    | st.integers(-(2**63), 2**63)
    | st.text(max_size=10)
    | st.floats()
    | st.lists(st.integers(), max_size=2)
)
tool_arguments = st.dictionaries(
    st.sampled_from(
        ["episode_id", "task_description", "tool", "action", "success", "limit", "namespace", "x"]
    ),
    json_values,
    max_size=5,
)
tool_calls = st.fixed_dictionaries(
    {
        "jsonrpc": st.just("2.0"),
        "id": st.integers(0, 10**6),
        "method": st.just("tools/call"),
        "params": st.fixed_dictionaries(
            {"name": st.sampled_from(sorted(TOOL_NAMES)) | st.text(max_size=10)},
            optional={"arguments": tool_arguments | json_values},
        ),
    }
)
envelopes = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.sampled_from(["2.0", "1.0", "", 2.0]) | json_values,
        "id": ids,
        "method": methods | json_values,
        "params": json_values,
        "result": json_values,
        "error": json_values,
    },
)


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode()


lines = st.one_of(
    st.binary(max_size=200).filter(lambda b: b"\n" not in b),
    st.text(max_size=200).map(lambda t: t.replace("\n", " ").encode("utf-8", "surrogatepass")),
    json_values.map(_encode),
    envelopes.map(_encode),
    tool_calls.map(_encode),
    st.lists(envelopes | tool_calls, max_size=3).map(_encode),  # batches
    envelopes.map(lambda e: _encode(e)[: max(1, len(_encode(e)) // 2)]),  # cut short
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(line=lines)
def test_any_line_leaves_the_server_alive_and_answering(server: WireServer, line: bytes) -> None:
    server.send(line)
    answer = server.request("ping")
    assert answer["result"] == {}
    assert server.process.poll() is None


def test_server_still_serves_tools_after_the_fuzzing(server: WireServer) -> None:
    listed = server.request("tools/list")
    names = {tool["name"] for tool in listed["result"]["tools"]}
    assert names == set(TOOL_NAMES)
    started = server.request(
        "tools/call",
        {
            "name": "start_episode",
            "arguments": {"task_description": "after the storm", "domain": "web"},
        },
    )
    assert started["result"].get("isError") is not True, started
