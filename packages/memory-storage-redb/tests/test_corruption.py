"""A damaged cache file is detected, never served, moved aside and replaced.

Every scenario damages a real redb file the way disks and people do —
truncation, random bytes over the header or the middle, a file that is not redb
at all, a zero-length file, garbage values under real keys — and checks that
:class:`RedbCache` never returns a record other than the one written: damaged
entries read as misses (and are dropped, with a warning), a file redb cannot
open is moved to ``<name>.corrupt-<time>`` (with a warning naming both paths)
and replaced by an empty cache, and a file that fails at runtime (redb panics on
some damaged pages) is replaced on the next ``open()`` or at ``close()``.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import msgspec
import numpy as np
import pytest

from memory_core.codec import encode_msgpack
from memory_core.errors import StorageError
from memory_core.models import Episode
from memory_core.storage import EpisodeQuery
from memory_storage_redb import Database, RedbCache
from memory_storage_redb._records import CACHE_SCHEMA_VERSION, Envelope, encode_envelope
from memory_test_utils import generate_episodes

pytestmark = pytest.mark.anyio

EPISODES = list(generate_episodes(120, seed=8))
BY_ID = {episode.id: episode for episode in EPISODES}
LOGGER = "memory_storage_redb"


def _clock() -> float:
    return 1_000_000.0


async def _write_cache(path: Path) -> None:
    async with RedbCache(path, clock=_clock) as cache:
        await cache.put_episodes(EPISODES)
        await cache.set_metadata("model", "hashing-384")


def _moved(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


def _truncate_half(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _truncate_to_header(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(100)


def _random_header(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.write(random.Random(1).randbytes(512))


def _not_redb(path: Path) -> None:
    path.write_text("this is a text file someone saved over the cache\n" * 200)


UNOPENABLE: dict[str, Callable[[Path], None]] = {
    "truncated-half": _truncate_half,
    "truncated-to-header": _truncate_to_header,
    "random-header": _random_header,
    "not-redb": _not_redb,
}


@pytest.mark.parametrize("damage", sorted(UNOPENABLE))
async def test_unopenable_file_is_moved_aside_and_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    path = tmp_path / "cache.redb"
    await _write_cache(path)
    UNOPENABLE[damage](path)
    damaged_bytes = path.read_bytes()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        async with RedbCache(path) as cache:
            assert cache.rebuilds == 1
            assert cache.path == path
            assert await cache.count_episodes() == 0
            assert await cache.get_episode(EPISODES[0].id) is None
            await cache.put_episode(EPISODES[0])
            assert await cache.get_episode(EPISODES[0].id) == EPISODES[0]
    (moved,) = _moved(path)
    assert moved.read_bytes() == damaged_bytes  # kept for inspection, byte for byte
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(path) in warnings[0].getMessage()
    assert str(moved) in warnings[0].getMessage()
    # The replacement is a healthy cache: it opens again without another rebuild.
    async with RedbCache(path) as cache:
        assert cache.rebuilds == 0
        assert await cache.get_episode(EPISODES[0].id) == EPISODES[0]


async def test_zero_length_file_is_a_new_empty_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache.redb"
    path.touch()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        async with RedbCache(path) as cache:
            assert await cache.count_episodes() == 0
            await cache.put_episodes(EPISODES[:3])
            assert await cache.get_episodes([e.id for e in EPISODES[:3]]) == EPISODES[:3]
    assert not caplog.records  # nothing was damaged: redb formats an empty file
    assert not _moved(path)


async def test_a_path_that_is_not_a_file_is_not_moved(tmp_path: Path) -> None:
    path = tmp_path / "cache.redb"
    path.mkdir()
    with pytest.raises(StorageError, match="cannot open redb cache"):
        await RedbCache(path).open()
    assert path.is_dir()
    assert not _moved(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX, not root")
async def test_unreadable_file_is_an_error_and_left_in_place(tmp_path: Path) -> None:
    path = tmp_path / "cache.redb"
    await _write_cache(path)
    path.chmod(0)
    try:
        with pytest.raises(StorageError):
            await RedbCache(path).open()
        assert not _moved(path)
    finally:
        path.chmod(0o600)


async def _read_everything(cache: RedbCache) -> list[Episode]:
    """Every way of reading episodes back; each result must be a record as written."""
    found = await cache.get_episodes(list(BY_ID))
    found += await cache.list_episodes(EpisodeQuery(limit=1000))
    async for batch in cache.iter_episodes(batch_size=50):
        found += batch
    await cache.count_episodes()
    return found


@pytest.mark.parametrize("seed", range(12))
async def test_random_bytes_in_the_middle_never_serve_wrong_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, seed: int
) -> None:
    path = tmp_path / "cache.redb"
    await _write_cache(path)
    rng = random.Random(seed)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(rng.randrange(4096, size - 4096))
        handle.write(rng.randbytes(rng.choice([8, 64, 512])))
    cache = RedbCache(path, clock=_clock)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        await cache.open()
        try:
            found = await _read_everything(cache)
        except StorageError:
            # redb gave up on a damaged page: the next open() replaces the file.
            await cache.open()
            assert cache.rebuilds == 1
            assert len(_moved(path)) == 1
            found = await _read_everything(cache)
            assert found == []
        for episode in found:
            assert BY_ID[episode.id] == episode  # never a damaged or misplaced record
        # Whatever was damaged is gone: reading again finds no more damage.
        caplog.clear()
        again = await _read_everything(cache)
        assert not caplog.records
        assert sorted(e.id.bytes for e in again) == sorted(e.id.bytes for e in found)
        await cache.put_episodes(EPISODES)
        assert await cache.get_episodes(list(BY_ID)) == EPISODES
        await cache.close()


async def test_bit_rot_inside_a_stored_text_is_caught_by_the_checksum(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The dangerous case: redb reads the page happily and the record still decodes,
    # with one character changed. Only the envelope's checksum tells.
    path = tmp_path / "cache.redb"
    victim = msgspec.structs.replace(EPISODES[9], task_description="Rotate the TLS keys")
    async with RedbCache(path, clock=_clock) as cache:
        await cache.put_episodes([*EPISODES, victim])
    raw = bytearray(path.read_bytes())
    at = raw.find(b"Rotate the TLS keys")
    assert at > 0
    raw[at] ^= 0x20  # "R" becomes "r": still valid UTF-8, still a valid episode
    path.write_bytes(bytes(raw))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        async with RedbCache(path, clock=_clock) as cache:
            assert await cache.get_episode(victim.id) is None
            assert cache.rebuilds == 0
    assert "1 damaged episodes entry" in caplog.records[0].getMessage()


def _page_that_fails_at_runtime(base: Path, work: Path) -> int:
    """Find a page whose damage redb only notices while reading (it is most of them)."""
    import anyio

    async def fails(page: int) -> bool:
        shutil.copy(base, work)
        with work.open("r+b") as handle:
            handle.seek(page * 4096)
            handle.write(b"\xff" * 64)
        cache = RedbCache(work, clock=_clock)
        await cache.open()
        try:
            if cache.rebuilds:
                return False
            await cache.list_episodes(EpisodeQuery(limit=1000))
        except StorageError:
            return True
        finally:
            await cache.close()
            for moved in _moved(work):
                moved.unlink()
        return False

    for page in range(1, base.stat().st_size // 4096):
        if anyio.run(fails, page):
            return page
    raise AssertionError("no page of the file fails at runtime when damaged")


def test_file_failing_at_runtime_is_replaced_by_the_next_open(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import anyio

    base = tmp_path / "base.redb"
    anyio.run(_write_cache, base)
    path = tmp_path / "cache.redb"
    page = _page_that_fails_at_runtime(base, path)
    shutil.copy(base, path)
    with path.open("r+b") as handle:
        handle.seek(page * 4096)
        handle.write(b"\xff" * 64)

    async def scenario() -> None:
        async with RedbCache(path, clock=_clock) as cache:
            with pytest.raises(StorageError, match=r"damaged|failed"):
                await cache.list_episodes(EpisodeQuery(limit=1000))
            with caplog.at_level(logging.WARNING, logger=LOGGER):
                await cache.open()  # what TieredStorage.sync_memories() calls first
            assert cache.rebuilds == 1
            assert await cache.list_episodes(EpisodeQuery(limit=1000)) == []
            await cache.put_episode(EPISODES[0])
            assert await cache.get_episode(EPISODES[0].id) == EPISODES[0]

    anyio.run(scenario, backend="trio")
    assert len(_moved(path)) == 1
    assert any(str(path) in r.getMessage() for r in caplog.records)


def test_file_failing_at_runtime_is_moved_aside_at_close(tmp_path: Path) -> None:
    import anyio

    base = tmp_path / "base.redb"
    anyio.run(_write_cache, base)
    path = tmp_path / "cache.redb"
    page = _page_that_fails_at_runtime(base, path)
    shutil.copy(base, path)
    with path.open("r+b") as handle:
        handle.seek(page * 4096)
        handle.write(b"\xff" * 64)

    async def scenario() -> None:
        async with RedbCache(path, clock=_clock) as cache:
            with pytest.raises(StorageError):
                await cache.list_episodes(EpisodeQuery(limit=1000))
        assert len(_moved(path)) == 1
        assert not path.exists()
        async with RedbCache(path) as cache:  # the next process starts clean
            assert cache.rebuilds == 0
            assert await cache.list_episodes(EpisodeQuery(limit=1000)) == []

    anyio.run(scenario, backend="asyncio")


def _rewrite(path: Path, table: str, key: bytes, value: bytes) -> None:
    with Database(path) as db, db.begin_write() as txn:
        txn.open_table(table).insert(key, value)


def _stored(path: Path, table: str, key: bytes) -> bytes | None:
    with Database(path) as db, db.begin_read() as txn:
        return txn.open_table(table).get(key)


def _valid_envelope(payload: bytes, key: bytes) -> bytes:
    return encode_envelope(payload, _clock(), key)


GARBAGE: dict[str, Callable[[Episode], bytes]] = {
    "random-bytes": lambda e: random.Random(3).randbytes(40),
    "empty": lambda e: b"",
    "truncated-envelope": lambda e: _valid_envelope(encode_msgpack(e), e.id.bytes)[:-7],
    "flipped-payload-bit": lambda e: _flip(_valid_envelope(encode_msgpack(e), e.id.bytes), -20),
    "bad-checksum": lambda e: msgspec.msgpack.encode(
        Envelope(CACHE_SCHEMA_VERSION, _clock(), encode_msgpack(e), 12345)
    ),
    # A correct checksum over bytes that are no episode: a buggy writer, not the disk.
    "not-an-episode": lambda e: _valid_envelope(b"\x93\x01\x02\x03", e.id.bytes),
    # Another episode, intact, under this key.
    "misplaced-record": lambda e: _valid_envelope(encode_msgpack(EPISODES[-1]), e.id.bytes),
}


def _flip(data: bytes, index: int) -> bytes:
    damaged = bytearray(data)
    damaged[index] ^= 0x10
    return bytes(damaged)


@pytest.mark.parametrize("garbage", sorted(GARBAGE))
async def test_damaged_value_reads_as_a_miss_and_is_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, garbage: str
) -> None:
    path = tmp_path / "cache.redb"
    await _write_cache(path)
    victim = EPISODES[5]
    _rewrite(path, "episodes", victim.id.bytes, GARBAGE[garbage](victim))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        async with RedbCache(path, clock=_clock) as cache:
            before = cache.stats()
            assert await cache.get_episode(victim.id) is None
            assert cache.stats().misses == before.misses + 1
            assert cache.rebuilds == 0  # one bad value is not a bad file
            assert await cache.get_episode(EPISODES[4].id) == EPISODES[4]
    assert _stored(path, "episodes", victim.id.bytes) is None
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == 1
    assert str(path) in messages[0]
    assert "1 damaged episodes entry" in messages[0]


async def test_damaged_values_are_skipped_by_listing_and_counting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache.redb"
    await _write_cache(path)
    for victim in EPISODES[:3]:
        _rewrite(path, "episodes", victim.id.bytes, b"\x00garbage")
    async with RedbCache(path, clock=_clock) as cache:
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            assert await cache.count_episodes() == len(EPISODES) - 3
        assert "3 damaged episodes entries" in caplog.records[0].getMessage()
        listed = await cache.list_episodes(EpisodeQuery(limit=1000))
        assert {e.id for e in listed} == {e.id for e in EPISODES[3:]}


async def test_damaged_embedding_and_metadata_read_as_misses(tmp_path: Path) -> None:
    path = tmp_path / "cache.redb"
    item = uuid.uuid4()
    async with RedbCache(path, clock=_clock) as cache:
        await cache.put_embeddings("episode", "m", [(item, np.arange(4, dtype=np.float32))])
        await cache.set_metadata("model", "hashing-384")
    with Database(path) as db, db.begin_write() as txn:
        embeddings = txn.open_table("embeddings")
        ((key, value),) = embeddings.range()
        embeddings.insert(key, _flip(value, -3))
        txn.open_table("metadata").insert(b"model", _flip(_stored_value(db, b"model"), -2))
    async with RedbCache(path, clock=_clock) as cache:
        assert await cache.get_embeddings("episode", "m", [item]) == {}
        assert await cache.get_metadata("model") is None
        await cache.set_metadata("model", "hashing-384")
        assert await cache.get_metadata("model") == "hashing-384"


def _stored_value(db: Database, key: bytes) -> bytes:
    with db.begin_read() as txn:
        value = txn.open_table("metadata").get(key)
    assert value is not None
    return value


async def test_a_rewritten_entry_is_not_dropped_by_a_stale_damage_report(tmp_path: Path) -> None:
    # The drop is compare-and-delete: an entry rewritten since it was read stays.
    path = tmp_path / "cache.redb"
    await _write_cache(path)
    victim = EPISODES[7]
    _rewrite(path, "episodes", victim.id.bytes, b"garbage")
    async with RedbCache(path, clock=_clock) as cache:
        damaged = [(victim.id.bytes, b"garbage")]
        await cache.put_episode(victim)
        await cache._drop_damaged("episodes", damaged)
        assert await cache.get_episode(victim.id) == victim
