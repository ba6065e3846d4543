"""Fixtures shared by the redb tests."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_HOLDER = (
    "import sys; from memory_storage_redb import Database; d = Database(sys.argv[1]);"
    " print('ready', flush=True); sys.stdin.read()"
)


@contextlib.contextmanager
def _held_by_another_process(path: Path) -> Iterator[None]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        yield
    finally:
        holder.communicate("", timeout=30)


@pytest.fixture
def held_by_another_process() -> Callable[[Path], contextlib.AbstractContextManager[None]]:
    """``with held_by_another_process(path):`` — a child process holds the redb file's lock."""
    return _held_by_another_process
