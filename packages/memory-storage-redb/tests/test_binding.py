"""The native binding: transactions, ordering, large values, errors, threads, closed objects."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

import memory_storage_redb
from memory_storage_redb import (
    Database,
    DatabaseAlreadyOpenError,
    DatabaseClosedError,
    ReadTransaction,
    RedbError,
    TableDoesNotExistError,
    TransactionClosedError,
)

#: The `held_by_another_process` fixture (conftest.py).
HoldLock = Callable[[Path], AbstractContextManager[None]]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "t.redb")
    yield database
    database.close()


def read_all(db: Database, table: str = "t") -> list[tuple[bytes, bytes]]:
    with db.begin_read() as txn:
        return txn.open_table(table).range()


def test_all_is_complete() -> None:
    for name in memory_storage_redb.__all__:
        assert hasattr(memory_storage_redb, name), name


def test_write_commits_on_clean_exit(db: Database) -> None:
    with db.begin_write() as txn:
        table = txn.open_table("t")
        assert table.insert(b"a", b"1") is None
        assert table.insert(b"a", b"2") == b"1"
        assert table.get(b"a") == b"2"
        assert len(table) == 1
    assert txn.closed
    with db.begin_read() as read:
        snapshot = read.open_table("t")
        assert snapshot.get(b"a") == b"2"
        assert snapshot.get(b"missing") is None
        assert len(snapshot) == 1


def test_write_aborts_on_exception(db: Database) -> None:
    with db.begin_write() as txn:
        txn.open_table("t").insert(b"keep", b"1")

    def failing_write() -> None:
        with db.begin_write() as txn:
            txn.open_table("t").insert(b"lost", b"2")
            txn.open_table("t").remove(b"keep")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        failing_write()
    assert read_all(db) == [(b"keep", b"1")]


def test_explicit_abort_and_commit(db: Database) -> None:
    txn = db.begin_write()
    txn.open_table("t").insert(b"x", b"1")
    txn.abort()
    with pytest.raises(TransactionClosedError):
        txn.commit()
    with db.begin_read() as read, pytest.raises(TableDoesNotExistError):
        read.open_table("t")
    txn = db.begin_write()
    txn.open_table("t").insert(b"x", b"1")
    txn.commit()
    assert read_all(db) == [(b"x", b"1")]


def test_read_snapshot_is_isolated_from_later_commits(db: Database) -> None:
    with db.begin_write() as txn:
        txn.open_table("t").insert(b"a", b"1")
    with db.begin_read() as read:
        snapshot = read.open_table("t")
        with db.begin_write() as txn:
            txn.open_table("t").insert(b"b", b"2")
        assert len(snapshot) == 1
    assert len(read_all(db)) == 2


def test_range_is_ordered_and_half_open(db: Database) -> None:
    keys = [bytes([b]) + suffix for b in (0, 1, 127, 128, 255) for suffix in (b"", b"\x00", b"z")]
    with db.begin_write() as txn:
        table = txn.open_table("t")
        for key in reversed(keys):
            table.insert(key, key * 2)
        assert [k for k, _ in table.range()] == sorted(keys)
    everything = read_all(db)
    assert [k for k, _ in everything] == sorted(keys)
    assert all(v == k * 2 for k, v in everything)
    with db.begin_read() as read:
        scan = read.open_table("t")
        assert [k for k, _ in scan.range(b"\x01", b"\x80")] == [
            b"\x01",
            b"\x01\x00",
            b"\x01z",
            b"\x7f",
            b"\x7f\x00",
            b"\x7fz",
        ]
        assert [k for k, _ in scan.range(b"\xff")] == [b"\xff", b"\xff\x00", b"\xffz"]
        assert [k for k, _ in scan.range(None, b"\x01")] == [b"\x00", b"\x00\x00", b"\x00z"]
        assert scan.range(b"\x80", b"\x01") == []
        assert scan.range(b"\x80", b"\x80") == []


def test_ten_megabyte_values(db: Database) -> None:
    big = os.urandom(10 * 1024 * 1024)
    with db.begin_write() as txn:
        txn.open_table("t").insert(b"big", big)
    with db.begin_read() as read:
        assert read.open_table("t").get(b"big") == big
    with db.begin_write() as txn:
        assert txn.open_table("t").remove(b"big") == big
    assert read_all(db) == []


def test_empty_keys_and_values(db: Database) -> None:
    with db.begin_write() as txn:
        txn.open_table("t").insert(b"", b"")
    assert read_all(db) == [(b"", b"")]


def test_bad_arguments_are_type_and_value_errors(db: Database, tmp_path: Path) -> None:
    with db.begin_write() as txn:
        table = txn.open_table("t")
        with pytest.raises(TypeError):
            table.insert("text", b"v")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            table.get(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="durability"):
        Database(tmp_path / "x.redb", durability="sometimes")  # type: ignore[arg-type]


def test_second_open_of_a_file_is_typed(db: Database) -> None:
    with pytest.raises(DatabaseAlreadyOpenError):
        Database(db.path)
    assert issubclass(DatabaseAlreadyOpenError, RedbError)


def test_another_process_holding_the_file_is_typed(
    tmp_path: Path, held_by_another_process: HoldLock
) -> None:
    path = tmp_path / "locked.redb"
    with held_by_another_process(path):
        with pytest.raises(DatabaseAlreadyOpenError):
            Database(path)
    Database(path).close()


def test_not_a_database_is_a_redb_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.redb"
    path.write_bytes(b"not a redb file" * 1000)
    with pytest.raises(RedbError):
        Database(path)


def test_use_after_close_raises(tmp_path: Path) -> None:
    db = Database(tmp_path / "c.redb")
    with db.begin_write() as txn:
        write_table = txn.open_table("t")
        write_table.insert(b"a", b"1")
    with pytest.raises(TransactionClosedError):
        write_table.get(b"a")
    with pytest.raises(TransactionClosedError):
        txn.open_table("t")
    read = db.begin_read()
    read_table = read.open_table("t")
    read.close()
    read.close()
    with pytest.raises(TransactionClosedError):
        read_table.get(b"a")
    with pytest.raises(TransactionClosedError):
        len(read_table)
    live_read = db.begin_read()
    live_table = live_read.open_table("t")
    db.close()
    db.close()
    assert db.closed
    for call in (
        db.begin_write,
        db.begin_read,
        lambda: live_table.get(b"a"),
        lambda: live_table.range(),
        lambda: live_read.open_table("t"),
    ):
        with pytest.raises(DatabaseClosedError):
            call()
    Database(tmp_path / "c.redb").close()  # the lock was released


def test_context_manager_closes_database(tmp_path: Path) -> None:
    with Database(tmp_path / "cm.redb", durability="none") as db:
        assert db.durability == "none"
        with db.begin_write() as txn:
            txn.open_table("t").insert(b"k", b"v")
    assert db.closed
    with Database(tmp_path / "cm.redb") as again:
        assert read_all(again) == [(b"k", b"v")]


def test_concurrent_readers_with_one_writer(db: Database) -> None:
    n_rounds, n_readers = 200, 4
    with db.begin_write() as txn:
        txn.open_table("t").insert(b"counter", (0).to_bytes(8, "big"))
    errors: list[BaseException] = []
    stop = threading.Event()
    seen: list[int] = []

    def writer() -> None:
        try:
            for i in range(1, n_rounds + 1):
                with db.begin_write() as txn:
                    table = txn.open_table("t")
                    table.insert(b"counter", i.to_bytes(8, "big"))
                    table.insert(i.to_bytes(8, "big"), b"x" * 100)
        except BaseException as exc:
            errors.append(exc)
        finally:
            stop.set()

    def reader() -> None:
        try:
            last = 0
            while not stop.is_set():
                with db.begin_read() as txn:
                    table = txn.open_table("t")
                    value = table.get(b"counter")
                    assert value is not None
                    counter = int.from_bytes(value, "big")
                    # A snapshot is consistent: exactly `counter` rows besides the counter.
                    assert len(table) == counter + 1
                    assert counter >= last
                    last = counter
            seen.append(last)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [
        threading.Thread(target=reader) for _ in range(n_readers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(seen) == n_readers
    assert len(read_all(db)) == n_rounds + 1


def test_second_writer_waits_for_the_first(db: Database) -> None:
    first = db.begin_write()
    first.open_table("t").insert(b"a", b"1")
    order: list[str] = []

    def second() -> None:
        with db.begin_write() as txn:
            order.append("second")
            txn.open_table("t").insert(b"b", b"2")

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=0.3)
    assert thread.is_alive()  # blocked, with the GIL released (we are running)
    order.append("first")
    first.commit()
    thread.join(timeout=30)
    assert order == ["first", "second"]
    assert [k for k, _ in read_all(db)] == [b"a", b"b"]


def test_delete_table(db: Database) -> None:
    with db.begin_write() as txn:
        txn.open_table("t").insert(b"a", b"1")
    with db.begin_write() as txn:
        assert txn.delete_table("t") is True
        assert txn.delete_table("t") is False
    with db.begin_read() as read, pytest.raises(TableDoesNotExistError):
        read.open_table("t")


def test_closing_a_read_transaction_while_another_thread_uses_it(db: Database) -> None:
    with db.begin_write() as txn:
        txn.open_table("t").insert(b"a", b"1")
    for _ in range(50):
        read = db.begin_read()
        outcomes: list[str] = []

        def use(read: ReadTransaction = read, outcomes: list[str] = outcomes) -> None:
            try:
                for _ in range(200):
                    read.open_table("t").get(b"a")
                outcomes.append("done")
            except TransactionClosedError:
                outcomes.append("closed")

        thread = threading.Thread(target=use)
        thread.start()
        read.close()
        thread.join(timeout=30)
        assert not thread.is_alive(), "deadlock between close() and open_table()"
        assert outcomes in (["done"], ["closed"])
