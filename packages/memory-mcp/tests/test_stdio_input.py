"""The cancellable stdin reader of the stdio transport."""

from __future__ import annotations

import os

import anyio
import pytest

from memory_mcp.stdio_input import StdinLines

pytestmark = pytest.mark.anyio


async def test_reads_lines_across_chunks_until_eof() -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    try:
        os.write(write_fd, b'{"a": 1}\n{"b": "\xc3\xa9"}\npartial')
        os.close(write_fd)
        lines = [line async for line in StdinLines(read_fd)]
    finally:
        os.close(read_fd)
    assert lines == ['{"a": 1}\n', '{"b": "é"}\n', "partial"]


async def test_waiting_for_input_is_cancellable() -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    try:
        with anyio.move_on_after(0.2) as scope:
            async for _ in StdinLines(read_fd):
                pytest.fail("no input was written")
        assert scope.cancelled_caught
    finally:
        os.close(read_fd)
        os.close(write_fd)
