"""Shared helpers of the reliability suite: child processes, stores, checks and numbers.

Imported by the tests (``reliability/test_*.py``), by ``soak.py`` and by ``report.py``;
the writer scripts in ``scripts/`` stay self-contained (they run as plain children).
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"
#: Where tests and the soak write their numbers; ``report.py`` merges them.
RESULTS = Path(os.environ.get("RELIABILITY_RESULTS", str(HERE / "results")))
#: The ``record`` fixture: ``record(scenario=..., storage=..., numbers={...}, ...)``.
Recorder = Callable[..., None]


# Numbers ---------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values`` by linear interpolation; nan if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    """count, p50, p95, p99 and max of latencies in milliseconds (rounded to 0.01 ms)."""
    return {
        "count": len(values_ms),
        "p50_ms": round(percentile(values_ms, 50), 2),
        "p95_ms": round(percentile(values_ms, 95), 2),
        "p99_ms": round(percentile(values_ms, 99), 2),
        "max_ms": round(max(values_ms), 2) if values_ms else math.nan,
    }


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average_1m": round(load[0], 2),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


# Child processes ---------------------------------------------------------------------------
def child_env(**extra: str) -> dict[str, str]:
    """This environment without ``MEMORY_*`` variables (children store where told)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def spawn_script(script: str, *args: object, stdin: bool = False) -> subprocess.Popen[str]:
    """Start ``scripts/<script>`` with this interpreter; text pipes on stdout and stderr."""
    return subprocess.Popen(
        [sys.executable, str(SCRIPTS / script), *map(str, args)],
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def kill_quietly(process: subprocess.Popen[Any]) -> None:
    """SIGKILL ``process`` if it still runs and reap it (teardown of a failed test)."""
    if process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


@dataclass
class Acks:
    """What a writer child promised: ``ack <episode id> <latency ms>`` lines, in order."""

    ids: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    def feed(self, lines: Iterable[str]) -> None:
        for line in lines:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "ack":
                self.ids.append(parts[1])
                self.latencies_ms.append(float(parts[2]))
            elif line.strip():
                self.other.append(line.strip())


def complete_lines(text: str) -> list[str]:
    """The newline-terminated lines of ``text``: a torn last line was never a promise."""
    return text.split("\n")[:-1]


def read_until(process: subprocess.Popen[str], word: str, timeout: float = 120.0) -> list[str]:
    """Lines of ``process`` up to and including the first equal to ``word``.

    Raises AssertionError with the child's stderr when it exits or times out first.
    """
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            _, errors = process.communicate(timeout=30)
            raise AssertionError(f"child exited before {word!r}: {errors[-3000:]}")
        seen.append(line)
        if line.strip() == word:
            return seen
    kill_quietly(process)
    raise AssertionError(f"child did not print {word!r} within {timeout} s")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listened on a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[Any], timeout: float = 120.0) -> float:
    """Block until something accepts on ``port``; seconds it took. Fails if ``process`` dies."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return time.monotonic() - started
        time.sleep(0.02)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


# The MCP server ----------------------------------------------------------------------------
def server_command() -> list[str]:
    """The installed ``memory-mcp`` console script (or ``python -m memory_mcp.server``)."""
    script = Path(sys.executable).parent / "memory-mcp"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "memory_mcp.server"]


@dataclass
class McpServer:
    """A ``memory-mcp --transport http`` child on 127.0.0.1 with a bearer token."""

    data_dir: Path
    token: str
    log_path: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    startup_s: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self, **env: str) -> None:
        """Start on a fresh free port and wait until it listens."""
        self.port = free_port()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*server_command(), "--transport", "http", "--port", str(self.port)],
                env=child_env(
                    MEMORY_DATA_DIR=str(self.data_dir), MEMORY_MCP_TOKEN=self.token, **env
                ),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        self.startup_s = wait_for_port(self.port, self.process)

    def kill(self) -> None:
        """SIGKILL the server (no shutdown code runs) and reap it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait: the graceful stop. Returns the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_quietly(self.process)
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def mcp_transport(url: str, token: str, timeout: float = 30.0) -> Any:
    """An MCP SDK streamable-HTTP transport to ``url`` sending ``token`` as a bearer header."""
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    client = httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(timeout)
    )
    return streamable_http_client(url, http_client=client)


# Stores --------------------------------------------------------------------------------------
def integrity_check(path: Path) -> str:
    """``PRAGMA integrity_check`` of a libSQL file ("ok" when sound)."""
    import libsql  # type: ignore[import-untyped]

    conn = libsql.connect(str(path))
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        return "; ".join(str(row[0]) for row in rows)
    finally:
        conn.close()


def as_uuids(ids: Iterable[str]) -> list[uuid.UUID]:
    return [uuid.UUID(text) for text in ids]


# Disk full -----------------------------------------------------------------------------------
@contextlib.contextmanager
def small_filesystem(directory: Path, size: int) -> Iterator[str]:
    """Mount a ``size``-byte filesystem on ``directory``; yields the mechanism used.

    Tries tmpfs, then an ext4 loop file. Raises OSError when neither can be mounted
    (no privilege, no ``mount``). Always unmounts on exit.
    """
    directory.mkdir(parents=True, exist_ok=True)
    mount = shutil.which("mount")
    if mount is None:
        raise OSError("no mount command")
    attempts: list[tuple[str, list[str]]] = [
        ("tmpfs", [mount, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)])
    ]
    image = directory.parent / f"{directory.name}.img"
    mkfs = shutil.which("mkfs.ext4")
    if mkfs is not None:
        attempts.append(("loop", [mount, "-o", "loop", str(image), str(directory)]))
    failures = []
    for mechanism, command in attempts:
        if mechanism == "loop":
            assert mkfs is not None
            with image.open("wb") as handle:
                handle.truncate(size)
            made = subprocess.run(
                [mkfs, "-q", "-F", str(image)], capture_output=True, text=True, check=False
            )
            if made.returncode != 0:
                failures.append(f"mkfs.ext4: {made.stderr.strip()}")
                continue
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            try:
                yield mechanism
            finally:
                unmounted = subprocess.run(
                    ["umount", str(directory)], capture_output=True, check=False
                )
                if unmounted.returncode != 0:
                    subprocess.run(["umount", "-l", str(directory)], check=False)
                image.unlink(missing_ok=True)
            return
        failures.append(f"{mechanism}: {done.stderr.strip() or done.returncode}")
    raise OSError("cannot mount a small filesystem: " + "; ".join(failures))
