"""Reading the stdio transport's input so that a shutdown signal can interrupt it.

The SDK reads stdin with a blocking ``readline`` in a worker thread, which no
cancellation can interrupt: on SIGTERM the server would wait for the client to
close stdin before it could close its memories. Here stdin (a pipe, a socket or
a terminal) is switched to non-blocking mode and read after
``anyio.wait_readable``, which is a cancellable wait under trio and asyncio.
Regular files (``memory-mcp < requests.jsonl``) and other devices such as
``/dev/null`` keep the SDK's own reader.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import anyio

__all__ = ["StdinLines", "cancellable_stdin"]

_CHUNK = 1 << 16


class StdinLines:
    """Async iterator over the UTF-8 lines of a non-blocking file descriptor."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        pending = b""
        while True:
            await anyio.wait_readable(self._fd)
            try:
                chunk = os.read(self._fd, _CHUNK)
            except BlockingIOError:
                continue  # woken without data (another reader, or a spurious wake-up)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.decode("utf-8", errors="replace") + "\n"
        if pending:
            yield pending.decode("utf-8", errors="replace")


@contextmanager
def cancellable_stdin() -> Iterator[StdinLines | None]:
    """Stdin as cancellable lines, or ``None`` where the SDK's reader must be used.

    Blocking mode is restored on exit.
    """
    if sys.platform == "win32":
        yield None
        return
    try:
        fd = sys.stdin.fileno()
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):
        yield None
        return
    # Only pipes, sockets and terminals can be waited on; other devices (/dev/null, a
    # systemd service's null input) cannot be registered with epoll, and regular files
    # are always "readable": those keep the SDK's reader.
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(fd)):
        yield None
        return
    was_blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    try:
        yield StdinLines(fd)
    finally:
        if was_blocking:
            os.set_blocking(fd, True)
