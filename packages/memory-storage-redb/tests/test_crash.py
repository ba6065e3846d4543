"""SIGKILL during writes loses no acknowledged commit, and the reopened file is consistent."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memory_storage_redb import Database

WRITER = """
import sys
from memory_storage_redb import Database

db = Database(sys.argv[1])
i = 0
while True:
    with db.begin_write() as txn:
        table = txn.open_table("t")
        table.insert(i.to_bytes(8, "big"), b"v" * 1000)
        table.insert(b"last", i.to_bytes(8, "big"))
    print(i, flush=True)  # acknowledged only after the commit returned
    i += 1
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "crash.redb"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    acknowledged = -1
    deadline = time.monotonic() + 60
    while acknowledged < 50 and time.monotonic() < deadline:
        acknowledged = int(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    rest = child.stdout.read()
    child.wait(timeout=30)
    acknowledged = max([acknowledged, *(int(line) for line in rest.split())])
    assert acknowledged >= 50
    with Database(path) as db, db.begin_read() as txn:
        table = txn.open_table("t")
        last_value = table.get(b"last")
        assert last_value is not None
        last = int.from_bytes(last_value, "big")
        assert last >= acknowledged
        rows = table.range(None, b"last")
        # Consistent: every commit up to `last` is present, nothing beyond it.
        assert [int.from_bytes(k, "big") for k, _ in rows] == list(range(last + 1))
