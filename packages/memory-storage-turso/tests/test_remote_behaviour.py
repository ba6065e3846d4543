"""Remote (sqld over Hrana HTTP): auth, a responsive event loop, bounded failures."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import anyio
import anyio.to_thread
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from memory_core.errors import StorageError
from memory_storage_turso import StorageAuthError, StorageUnavailableError, TursoStorage
from memory_test_utils import make_episode
from memory_test_utils.sqld import SqldServer, free_port, run_sqld

pytestmark = pytest.mark.anyio

# ~0.5 s of CPU on sqld for 3M rows (measured 0.17 s for 1M on the 2-core dev machine).
SLOW_SQL = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
    "SELECT sum(x) FROM c"
)


@pytest.fixture(scope="module")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def auth_server(signing_key: Ed25519PrivateKey) -> Iterator[SqldServer]:
    public_pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with run_sqld(auth_jwt_key=public_pem.decode()) as server:
        yield server


def _token(key: Ed25519PrivateKey) -> str:
    return jwt.encode({"a": "rw", "iat": int(time.time())}, key, algorithm="EdDSA")


async def test_correctly_signed_token_is_accepted(
    auth_server: SqldServer, signing_key: Ed25519PrivateKey
) -> None:
    episode = make_episode(1)
    async with TursoStorage(auth_server.url, auth_token=_token(signing_key)) as storage:
        await storage.put_episode(episode)
        assert await storage.get_episode(episode.id) == episode


async def test_token_from_environment(
    auth_server: SqldServer, signing_key: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMORY_AUTH_TOKEN", _token(signing_key))
    async with TursoStorage(auth_server.url) as storage:
        assert await storage.count_episodes() >= 0


@pytest.mark.parametrize("kind", ["wrong-key", "garbage", "missing"])
async def test_bad_or_missing_token_is_refused_with_a_typed_error(
    auth_server: SqldServer, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEMORY_AUTH_TOKEN", raising=False)
    token = {
        "wrong-key": _token(Ed25519PrivateKey.generate()),
        "garbage": "not-a-jwt",
        "missing": None,
    }[kind]
    storage = TursoStorage(auth_server.url, auth_token=token)
    started = time.monotonic()
    with pytest.raises(StorageAuthError) as caught:
        await storage.open()
    assert time.monotonic() - started < 2.0, "auth failures are not retried"
    message = str(caught.value)
    assert "401" in message
    assert ("no auth token" in message) == (kind == "missing")
    assert caught.value.url == auth_server.url
    assert caught.value.__cause__ is not None
    if token:
        assert token not in message
        assert token not in repr(storage)


async def test_slow_remote_query_never_stalls_the_event_loop(sqld_url: str) -> None:
    stalls: list[float] = []
    finished = anyio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not finished.is_set():
            await anyio.sleep(0.002)
            now = time.perf_counter()
            stalls.append(now - last)
            last = now

    async with TursoStorage(sqld_url) as storage:
        database = storage._db  # white-box: the protocol has no raw SQL on purpose
        async with anyio.create_task_group() as group:
            group.start_soon(ticker)
            await anyio.sleep(0.02)
            started = time.perf_counter()
            await database.query(SLOW_SQL, (3_000_000,))
            elapsed = time.perf_counter() - started
            finished.set()
    assert elapsed > 0.25, f"query too fast ({elapsed:.3f}s) to prove anything"
    assert len(stalls) > 50
    assert max(stalls) < 0.020, f"event loop stalled {max(stalls) * 1000:.1f} ms"


async def test_server_down_fails_typed_within_the_retry_budget() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    storage = TursoStorage(url, retry_for=0.5)
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError) as caught:
        await storage.open()
    elapsed = time.monotonic() - started
    assert 0.2 < elapsed < 2.0, elapsed
    assert isinstance(caught.value, StorageError)
    assert isinstance(caught.value, ConnectionError)
    assert "attempt" in str(caught.value)
    assert caught.value.__cause__ is not None


async def test_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:
        # Accepts connections (the kernel completes the handshake) but never replies.
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        storage = TursoStorage(url, timeout=0.3, retry_for=0.5)
        started = time.monotonic()
        with pytest.raises(StorageUnavailableError, match="did not answer"):
            await storage.open()
        assert time.monotonic() - started < 2.0


async def test_requests_ride_out_a_server_restart() -> None:
    """Connection refused is transient: a read sent while sqld is down completes once it is back."""
    episode = make_episode(8)
    with run_sqld() as first, contextlib.ExitStack() as stack:
        async with TursoStorage(first.url, retry_for=20.0) as storage:
            await storage.put_episode(episode)
            first.stop()
            found = []

            async def read() -> None:
                found.append(await storage.get_episode(episode.id))

            async with anyio.create_task_group() as group:
                group.start_soon(read)
                await anyio.sleep(0.5)
                assert not found, "the read cannot succeed while the server is down"
                restart = run_sqld(port=first.port, db_path=first.db_path)
                await anyio.to_thread.run_sync(stack.enter_context, restart)
            assert found == [episode]
