"""The sqld launcher: a real server on loopback, emptied between tests, stopped after."""

from __future__ import annotations

import importlib
import os
import urllib.error
import urllib.request

import pytest

from memory_test_utils import sqld as sqld_module
from memory_test_utils.sqld import SqldServer, ensure_sqld, find_sqld, run_sqld


@pytest.mark.parametrize("name", ["memory_test_utils.sqld", "memory_test_utils.conformance"])
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    for symbol in module.__all__:
        assert hasattr(module, symbol), f"{name}.{symbol} missing"


def test_binary_is_found_and_runs() -> None:
    binary = ensure_sqld()
    assert binary == find_sqld()
    assert os.access(binary, os.X_OK)


def test_run_sqld_serves_hrana_and_stops() -> None:
    with run_sqld() as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        server.execute("CREATE TABLE t (a INTEGER, b TEXT, c BLOB)")
        server.execute("INSERT INTO t VALUES (?, ?, ?)", (2**62, "x'y", b"\x00\x01"))
        assert server.execute("SELECT a, b, c FROM t") == [[2**62, "x'y", b"\x00\x01"]]
        with pytest.raises(RuntimeError, match="no such table"):
            server.execute("SELECT * FROM nope")
        process = server.process
    assert process.poll() is not None
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{server.url}/health", timeout=1)


def test_sqld_url_fixture_gives_an_empty_database(sqld_server: SqldServer, sqld_url: str) -> None:
    assert sqld_url == sqld_server.url
    sqld_server.execute("CREATE TABLE leftover (x)")
    sqld_server.execute("CREATE INDEX leftover_x ON leftover (x)")
    sqld_server.execute("CREATE VIRTUAL TABLE words USING fts5(body)")
    sqld_server.reset()
    assert sqld_server.execute("SELECT name FROM sqlite_master WHERE sql IS NOT NULL") == []


def test_auth_key_makes_sqld_demand_a_token() -> None:
    ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    with run_sqld(auth_jwt_key=pem) as server:
        with pytest.raises(urllib.error.HTTPError) as caught:
            server.execute("SELECT 1")
        assert caught.value.code == 401


def test_missing_configured_binary_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sqld_module.SQLD_ENV, "/nonexistent/sqld")
    assert find_sqld() is None
