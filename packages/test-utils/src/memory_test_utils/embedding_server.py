"""A real OpenAI-compatible embeddings server on loopback, for tests of HTTP embedders.

It answers ``POST {url}/embeddings`` like OpenAI does, with deterministic vectors (a
text always gets the same, deliberately unnormalized vector, see :func:`text_vector`),
checks the bearer key, records every request, and can be told what to do with the next
requests: fail with 429 (optionally with ``Retry-After``) or 500, stall past a client's
timeout, or send an arbitrary body (for malformed-response tests)::

    with run_embedding_server(dim=16) as server:
        server.fail_next(2, status=429, retry_after=0.01)
        embedder = OpenAICompatibleEmbedder("test-model", base_url=server.url,
                                            api_key=server.api_key)

As a pytest fixture: ``embedding_server`` (import it into a test module or conftest, or
register it in the plugin).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

__all__ = [
    "DEFAULT_API_KEY",
    "EmbeddingServer",
    "RecordedRequest",
    "embedding_server",
    "run_embedding_server",
    "text_vector",
]

#: The bearer key the server expects unless told otherwise.
DEFAULT_API_KEY = "sk-test-0123456789abcdef"


def text_vector(text: str, dim: int) -> npt.NDArray[np.float64]:
    """The server's vector for ``text``: seeded by its SHA-256, scaled so it is not unit."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(dim)
    return vector * 3.0


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received (the Authorization header is kept as sent)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class _Action:
    kind: str  # "fail", "stall" or "reply"
    status: int = 200
    retry_after: str | None = None
    seconds: float = 0.0
    body: bytes = b""


@dataclass
class EmbeddingServer:
    """A running server; use :func:`run_embedding_server` to start one."""

    url: str
    api_key: str | None
    dim: int
    reverse_order: bool = False
    _requests: list[RecordedRequest] = field(default_factory=list)
    _actions: deque[_Action] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closing: threading.Event = field(default_factory=threading.Event)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def inputs(self) -> list[list[str]]:
        """The ``input`` list of each embeddings request, in arrival order."""
        return [r.body["input"] for r in self.requests if isinstance(r.body, dict)]

    def fail_next(self, count: int, *, status: int = 500, retry_after: float | None = None) -> None:
        """Answer the next ``count`` requests with ``status`` (and ``Retry-After``)."""
        header = None if retry_after is None else f"{retry_after:g}"
        self._queue(count, _Action("fail", status=status, retry_after=header))

    def stall_next(self, count: int, *, seconds: float) -> None:
        """Hold the next ``count`` requests for ``seconds`` before answering normally."""
        self._queue(count, _Action("stall", seconds=seconds))

    def reply_next(self, body: bytes | object, *, status: int = 200, count: int = 1) -> None:
        """Answer the next ``count`` requests with ``body`` (JSON-encoded unless bytes)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self._queue(count, _Action("reply", status=status, body=raw))

    def _queue(self, count: int, action: _Action) -> None:
        with self._lock:
            self._actions.extend([action] * count)

    def _record(self, request: RecordedRequest) -> _Action | None:
        with self._lock:
            self._requests.append(request)
            return self._actions.popleft() if self._actions else None


def _error_body(message: str, kind: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind}}).encode()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hung up (a timed-out client leaves a stalled request)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _make_handler(server: EmbeddingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the default per-request stderr log."""

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = None
            action = server._record(
                RecordedRequest("POST", self.path, dict(self.headers.items()), body)
            )
            if action is not None and action.kind == "stall":
                # Wakes early when the server closes, so shutdown never waits for it.
                server._closing.wait(action.seconds)
            elif action is not None and action.kind == "fail":
                headers = {"Retry-After": action.retry_after} if action.retry_after else {}
                message = "rate limited" if action.status == 429 else "server error"
                self._send(action.status, _error_body(message, "test"), headers)
                return
            elif action is not None:
                self._send(action.status, action.body)
                return
            self._answer(body)

        def _answer(self, body: Any) -> None:
            if server.api_key is not None:
                expected = f"Bearer {server.api_key}"
                if self.headers.get("Authorization") != expected:
                    self._send(401, _error_body("invalid API key", "invalid_request_error"))
                    return
            if not self.path.endswith("/embeddings"):
                self._send(404, _error_body(f"no route {self.path}", "invalid_request_error"))
                return
            inputs = body.get("input") if isinstance(body, dict) else None
            if isinstance(inputs, str):
                inputs = [inputs]
            if (
                not isinstance(inputs, list)
                or not inputs
                or not all(isinstance(t, str) and t for t in inputs)
                or not isinstance(body.get("model"), str)
            ):
                message = "expected a model and a non-empty list of non-empty strings"
                self._send(400, _error_body(message, "invalid_request_error"))
                return
            data = [
                {
                    "object": "embedding",
                    "index": i,
                    "embedding": text_vector(t, server.dim).tolist(),
                }
                for i, t in enumerate(inputs)
            ]
            if server.reverse_order:
                data.reverse()
            payload = {"object": "list", "data": data, "model": body["model"]}
            self._send(200, json.dumps(payload).encode())

    return Handler


@contextlib.contextmanager
def run_embedding_server(
    *, dim: int = 16, api_key: str | None = DEFAULT_API_KEY
) -> Iterator[EmbeddingServer]:
    """Serve on a free port of 127.0.0.1 in a background thread until the block ends.

    ``api_key=None`` turns authentication off.
    """
    httpd = _QuietServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = httpd.server_address[1]
    server = EmbeddingServer(url=f"http://127.0.0.1:{port}/v1", api_key=api_key, dim=dim)
    httpd.RequestHandlerClass = _make_handler(server)
    # A short poll interval makes shutdown prompt (it waits for the next poll).
    thread = threading.Thread(
        target=httpd.serve_forever, args=(0.02,), name="embedding-server", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server._closing.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5.0)


@pytest.fixture
def embedding_server() -> Iterator[EmbeddingServer]:
    """A fresh server (dim 16, key :data:`DEFAULT_API_KEY`) for each test."""
    with run_embedding_server() as server:
        yield server
