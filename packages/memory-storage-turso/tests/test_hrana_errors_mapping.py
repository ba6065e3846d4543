"""How the Hrana client maps what a server answers to the package's errors.

A real HTTP server on loopback answers each request with the next scripted reply, so
the client meets the replies sqld itself seldom gives: HTTP errors, malformed bodies,
answers that do not match the requests, expired streams, busy databases.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from memory_storage_turso import StorageAuthError, StorageUnavailableError
from memory_storage_turso._hrana import HranaClient, raise_for_error
from memory_storage_turso._hrana_wire import CloseRequest, ExecuteRequest, HranaError, WireStmt
from memory_storage_turso._remote import RemoteDatabase
from memory_storage_turso._retry import Backoff, TransientError
from memory_storage_turso._sql import Statement
from memory_storage_turso.errors import StorageQueryError

pytestmark = pytest.mark.anyio

TOKEN = "s3cret-token-value"
NO_RETRY = Backoff(budget=0.0, first=0.01, cap=0.01)


class ScriptedServer:
    """Answers each POST with the next ``(status, body)``; records path, headers and body."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, bytes]] = []
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length))
                server.requests.append(
                    {"path": self.path, "auth": self.headers.get("authorization"), "body": body}
                )
                status, reply = server.replies.pop(0) if server.replies else (500, b"no reply")
                self.send_response(status)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def reply(self, status: int, body: bytes | dict[str, Any]) -> None:
        self.replies.append(
            (status, body if isinstance(body, bytes) else json.dumps(body).encode())
        )

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


def _client(server: ScriptedServer, token: str | None = None) -> HranaClient:
    return HranaClient(
        server.url, display="hrana-test", auth_token=token, timeout=5.0, connect_timeout=5.0
    )


def _ok_execute(rows: list[list[Any]] | None = None) -> dict[str, Any]:
    result = {"cols": [{"name": "x"}], "rows": rows or [], "affected_row_count": 0}
    return {"type": "ok", "response": {"type": "execute", "result": result}}


def _ok_batch(n: int, errors: dict[int, dict[str, str]] | None = None) -> dict[str, Any]:
    errors = errors or {}
    step = {"cols": [], "rows": [], "affected_row_count": 1}
    return {
        "type": "ok",
        "response": {
            "type": "batch",
            "result": {
                "step_results": [None if i in errors else step for i in range(n)],
                "step_errors": [errors.get(i) for i in range(n)],
            },
        },
    }


_CLOSE = {"type": "ok", "response": {"type": "close"}}


def _execute(sql: str = "SELECT 1") -> ExecuteRequest:
    return ExecuteRequest(WireStmt(sql=sql))


async def test_a_closed_client_refuses_to_send(server: ScriptedServer) -> None:
    client = _client(server)
    assert repr(client) == "HranaClient('hrana-test')"
    with pytest.raises(StorageUnavailableError, match="hrana-test is closed"):
        await client.stream().send([_execute()])
    await client.open()
    await client.open()  # idempotent
    await client.aclose()
    await client.aclose()
    assert server.requests == []


@pytest.mark.parametrize(
    ("token", "status", "hint"),
    [
        (None, 401, "no auth token was given"),
        (TOKEN, 403, "the auth token was refused"),
    ],
)
async def test_refused_requests_are_auth_errors_without_the_token(
    server: ScriptedServer, token: str | None, status: int, hint: str
) -> None:
    server.reply(status, f"bad credentials: Bearer {token}".encode())
    client = _client(server, token)
    await client.open()
    try:
        with pytest.raises(StorageAuthError, match=f"HTTP {status}.*{hint}") as caught:
            await client.stream().send([_execute()])
    finally:
        await client.aclose()
    assert TOKEN not in str(caught.value)
    assert server.requests[0]["auth"] == (f"Bearer {token}" if token else None)
    assert server.requests[0]["path"] == "/v2/pipeline"


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (500, b"internal error", TransientError, "HTTP 500 from hrana-test: internal error"),
        (503, b"", TransientError, "HTTP 503"),
        (429, b"slow down", TransientError, "HTTP 429 from hrana-test: slow down"),
        (400, b"Received an invalid baton", TransientError, "invalid baton"),
        (400, b"syntax error near FROM", StorageQueryError, "HTTP 400 from hrana-test: syntax"),
        (404, b"not found", StorageQueryError, "HTTP 404"),
        (200, b"{not json", StorageQueryError, "malformed Hrana response from hrana-test"),
        (200, b'{"results": [{"type": "weird"}]}', StorageQueryError, "malformed Hrana"),
    ],
)
async def test_http_failures_are_classified(
    server: ScriptedServer, status: int, body: bytes, error: type[Exception], message: str
) -> None:
    server.reply(status, body)
    client = _client(server)
    await client.open()
    try:
        with pytest.raises(error, match=message):
            await client.stream().send([_execute()])
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("error", "raised", "message"),
    [
        (HranaError("busy", "SQLITE_BUSY"), TransientError, "hrana-test: busy"),
        (HranaError("table locked", "SQLITE_LOCKED"), TransientError, "table locked"),
        (HranaError("Database is locked", None), TransientError, "Database is locked"),
        (
            HranaError(f"no such table: t ({TOKEN})", "SQLITE_ERROR"),
            StorageQueryError,
            r"statement failed on hrana-test: no such table: t \(\[redacted\]\) \(SQLITE_ERROR\)",
        ),
        (HranaError("oops", None), StorageQueryError, "statement failed on hrana-test: oops$"),
    ],
)
def test_statement_errors_are_classified(
    server: ScriptedServer, error: HranaError, raised: type[Exception], message: str
) -> None:
    with pytest.raises(raised, match=message) as caught:
        raise_for_error(error, _client(server, TOKEN))
    assert TOKEN not in str(caught.value)


async def test_stream_follows_baton_and_base_url_and_notices_a_dropped_stream(
    server: ScriptedServer,
) -> None:
    moved = f"{server.url}/elsewhere/"
    server.reply(200, {"baton": "b1", "base_url": moved, "results": [_ok_execute([[]])]})
    server.reply(200, {"baton": None, "results": [_ok_execute(), _CLOSE]})
    client = _client(server)
    await client.open()
    try:
        stream = client.stream()
        assert not stream.is_open
        await stream.send([_execute()])
        assert stream.is_open
        await stream.send([_execute(), CloseRequest()])
        assert not stream.is_open
        with pytest.raises(TransientError, match="stream on hrana-test was closed by the server"):
            await stream.send([_execute()])
        await stream.close()  # nothing held: no request
    finally:
        await client.aclose()
    assert [r["path"] for r in server.requests] == ["/v2/pipeline", "/elsewhere/v2/pipeline"]
    assert server.requests[0]["body"]["baton"] is None
    assert server.requests[1]["body"]["baton"] == "b1"


async def test_a_reply_with_the_wrong_number_of_results_is_a_query_error(
    server: ScriptedServer,
) -> None:
    server.reply(200, {"baton": None, "results": [_ok_execute()]})
    client = _client(server)
    await client.open()
    try:
        with pytest.raises(StorageQueryError, match="answered 1 results to 2 requests"):
            await client.stream().send([_execute(), CloseRequest()])
    finally:
        await client.aclose()


async def test_closing_a_stream_never_raises(server: ScriptedServer) -> None:
    server.reply(200, {"baton": "b1", "results": [_ok_execute()]})
    server.reply(500, b"gone")
    client = _client(server)
    await client.open()
    try:
        stream = client.stream()
        await stream.send([_execute()])
        await stream.close()
        assert not stream.is_open
    finally:
        await client.aclose()
    assert server.requests[-1]["body"]["requests"] == [{"type": "close"}]


async def test_a_confused_answer_to_a_query_is_a_query_error(server: ScriptedServer) -> None:
    server.reply(200, {"results": [_ok_batch(1), _CLOSE]})
    database = RemoteDatabase(_client(server), backoff=NO_RETRY)
    await database.connect()
    try:
        with pytest.raises(
            StorageQueryError, match="hrana-test answered a BatchResponse to a ExecuteResponse"
        ):
            await database.query("SELECT 1")
    finally:
        await database.close()


async def test_transient_failures_past_the_budget_are_unavailable(
    server: ScriptedServer,
) -> None:
    server.reply(503, b"overloaded")
    database = RemoteDatabase(_client(server), backoff=NO_RETRY)
    await database.connect()
    try:
        with pytest.raises(
            StorageUnavailableError, match=r"query failed on hrana-test.*overloaded"
        ):
            await database.query("SELECT 1")
    finally:
        await database.close()


def _write_reply(n: int, errors: dict[int, dict[str, str]] | None = None) -> dict[str, Any]:
    return {"results": [_ok_batch(n, errors), _CLOSE]}


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        # Two statements: BEGIN, the statements, COMMIT and ROLLBACK make five steps.
        (_write_reply(4), "answered 4 step results to 5 steps"),
        (
            _write_reply(5, {0: {"message": "cannot begin", "code": "SQLITE_ERROR"}}),
            "statement failed on hrana-test: cannot begin",
        ),
        (
            _write_reply(
                5, {2: {"message": "UNIQUE constraint failed", "code": "SQLITE_CONSTRAINT"}}
            ),
            "UNIQUE constraint failed",
        ),
        (
            _write_reply(5, {3: {"message": "commit refused", "code": "SQLITE_ERROR"}}),
            "commit refused",
        ),
    ],
)
async def test_write_batch_answers_are_checked(
    server: ScriptedServer, reply: dict[str, Any], message: str
) -> None:
    server.reply(200, reply)
    database = RemoteDatabase(_client(server), backoff=NO_RETRY)
    await database.connect()
    try:
        with pytest.raises(StorageQueryError, match=message):
            await database.write(
                [Statement("INSERT INTO t VALUES (?)", (1,)), Statement("DELETE FROM t", ())]
            )
    finally:
        await database.close()
    (request,) = server.requests
    steps = request["body"]["requests"][0]["batch"]["steps"]
    assert [step["stmt"]["sql"] for step in steps] == [
        "BEGIN IMMEDIATE",
        "INSERT INTO t VALUES (?)",
        "DELETE FROM t",
        "COMMIT",
        "ROLLBACK",
    ]


async def test_a_successful_write_counts_changes(server: ScriptedServer) -> None:
    server.reply(200, _write_reply(4))
    database = RemoteDatabase(_client(server), backoff=NO_RETRY)
    await database.connect()
    try:
        counts = await database.write([Statement("INSERT INTO t VALUES (?)", (1,))])
    finally:
        await database.close()
    assert counts == [1]
