"""RemoteDatabase on a real sqld: writes too large for one request, empty transactions,
and a failed transaction rolled back by closing its stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from memory_storage_turso._hrana import HranaClient
from memory_storage_turso._remote import RemoteDatabase
from memory_storage_turso._retry import Backoff
from memory_storage_turso._sql import Many, Statement, Transaction
from memory_storage_turso.errors import StorageQueryError

pytestmark = pytest.mark.anyio


@pytest.fixture
async def database(sqld_url: str) -> AsyncIterator[RemoteDatabase]:
    client = HranaClient(
        sqld_url, display=sqld_url, auth_token=None, timeout=30.0, connect_timeout=5.0
    )
    remote = RemoteDatabase(client, backoff=Backoff(budget=5.0, first=0.05, cap=0.5))
    await remote.connect()
    await remote.write([Statement("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)")])
    try:
        yield remote
    finally:
        await remote.close()


async def test_a_write_larger_than_one_request_is_split_in_one_transaction(
    database: RemoteDatabase,
) -> None:
    # 12 rows of 256 KiB: about 4 MB of base64, twice the size of one request.
    rows = [(n, bytes([n]) * 262_144) for n in range(12)]
    counts = await database.write(
        [Many("INSERT INTO blobs VALUES (?, ?)", rows), Statement("DELETE FROM blobs WHERE id = 0")]
    )
    assert counts == [12, 1]
    found = await database.query("SELECT id, length(data), substr(data, 1, 1) FROM blobs")
    assert [tuple(row) for row in found] == [(n, 262_144, bytes([n])) for n in range(1, 12)]


async def test_an_empty_transaction_commits_nothing(database: RemoteDatabase) -> None:
    async def nothing(tx: Transaction) -> str:
        return "done"

    assert await database.transact(nothing) == "done"
    assert await database.query("SELECT count(*) FROM blobs") == [(0,)]


async def test_a_failing_transaction_is_rolled_back(database: RemoteDatabase) -> None:
    async def half(tx: Transaction) -> None:
        await tx.write([Statement("INSERT INTO blobs VALUES (1, x'00')")])
        assert await tx.query("SELECT count(*) FROM blobs") == [(1,)]
        await tx.write([Statement("INSERT INTO no_such_table VALUES (1)")])

    with pytest.raises(StorageQueryError, match="no such table"):
        await database.transact(half)
    assert await database.query("SELECT count(*) FROM blobs") == [(0,)]
