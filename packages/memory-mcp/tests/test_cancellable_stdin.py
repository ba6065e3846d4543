"""cancellable_stdin: which kinds of stdin it takes over, and the blocking mode it leaves."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from memory_mcp.stdio_input import StdinLines, cancellable_stdin

pytestmark = pytest.mark.anyio


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        with contextlib.suppress(OSError):  # the test may have closed it
            os.close(fd)


def test_stdin_without_a_descriptor_keeps_the_sdk_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("{}\n"))
    with cancellable_stdin() as lines:
        assert lines is None
    monkeypatch.setattr(sys, "stdin", None)
    with cancellable_stdin() as lines:
        assert lines is None


def test_a_regular_file_keeps_the_sdk_reader(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    requests = tmp_path / "requests.jsonl"
    requests.write_text("{}\n")
    with requests.open() as handle:
        monkeypatch.setattr(sys, "stdin", handle)
        with cancellable_stdin() as lines:
            assert lines is None
        assert os.get_blocking(handle.fileno())


def test_a_null_device_keeps_the_sdk_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    # /dev/null (a service's null input) cannot be registered with epoll: waiting on it
    # crashed the server with PermissionError before it read its first line.
    with open(os.devnull) as handle:
        monkeypatch.setattr(sys, "stdin", handle)
        with cancellable_stdin() as lines:
            assert lines is None


async def test_a_pipe_is_read_non_blocking_and_restored(
    monkeypatch: pytest.MonkeyPatch, pipe: tuple[int, int]
) -> None:
    read_fd, write_fd = pipe
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.FileIO(read_fd, closefd=False)))
    with cancellable_stdin() as lines:
        assert isinstance(lines, StdinLines)
        assert not os.get_blocking(read_fd)
        os.write(write_fd, b'{"jsonrpc": "2.0"}\n')
        os.close(write_fd)
        assert [line async for line in lines] == ['{"jsonrpc": "2.0"}\n']
    assert os.get_blocking(read_fd)


def test_a_descriptor_already_non_blocking_stays_so(
    monkeypatch: pytest.MonkeyPatch, pipe: tuple[int, int]
) -> None:
    read_fd, _ = pipe
    os.set_blocking(read_fd, False)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.FileIO(read_fd, closefd=False)))
    with cancellable_stdin() as lines:
        assert isinstance(lines, StdinLines)
    assert not os.get_blocking(read_fd)


def test_server_with_null_stdin_exits_cleanly(tmp_path: Path) -> None:
    """``memory-mcp < /dev/null`` (e.g. a service without input) sees EOF and exits 0."""
    from mcp_helpers import clean_env, server_command

    finished = subprocess.run(
        server_command(),
        env=clean_env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert "Traceback" not in finished.stderr
