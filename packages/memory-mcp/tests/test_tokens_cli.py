"""``memory token create|list|revoke`` and the tokens file they keep."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from memory_mcp.cli import main
from memory_mcp.errors import ConfigurationError, TokensFileError
from memory_mcp.http_app import build_authenticator
from memory_mcp.server import add_server_arguments, check_http_security, settings_from_args
from memory_mcp.settings import Settings
from memory_mcp.tokens import hash_token, issue_token, load_tokens, revoke_token, save_tokens


@pytest.fixture(autouse=True)
def _no_inherited_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("MEMORY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MEMORY_DATA_DIR", str(tmp_path / "data"))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "secrets" / "tokens.json"
    code, out, err = _run(
        capsys,
        "token", "create", "--name", "ci-agent", "--scope", "write",
        "--namespace", "team-a", "--namespace", "team-b", "--tokens-file", str(path),
    )  # fmt: skip
    assert code == 0, err
    token = out.strip()
    assert len(token) >= 43
    assert "\n" not in token
    assert "ci-agent" in err
    assert "only time" in err
    assert token not in err
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = path.read_text()
    assert token not in stored
    (entry,) = json.loads(stored)["tokens"]
    assert entry["sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert entry["scopes"] == ["write"]
    assert entry["namespaces"] == ["team-a", "team-b"]

    code, out, err = _run(
        capsys, "token", "create", "--name", "ops", "--scope", "admin", "--namespace", "*",
        "--tokens-file", str(path), "--json",
    )  # fmt: skip
    assert code == 0, err
    issued = json.loads(out)
    assert issued["name"] == "ops"
    assert issued["namespaces"] == ["*"]
    assert hash_token(issued["token"]) == load_tokens(path)[1].sha256

    code, out, _ = _run(capsys, "token", "list", "--tokens-file", str(path))
    assert code == 0
    assert "ci-agent" in out
    assert "team-a,team-b" in out
    assert "ops" in out
    code, out, _ = _run(capsys, "--json", "token", "list", "--tokens-file", str(path))
    listed = json.loads(out)
    assert [item["name"] for item in listed] == ["ci-agent", "ops"]
    assert entry["sha256"] not in out
    assert "sha256" not in out
    assert token not in out

    code, out, err = _run(
        capsys, "token", "revoke", "--name", "ci-agent", "--tokens-file", str(path)
    )
    assert code == 0, err
    assert "revoked token 'ci-agent'" in out
    assert [record.name for record in load_tokens(path)] == ["ops"]
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_tokens_file_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tokens.json"
    monkeypatch.setenv("MEMORY_MCP_TOKENS_FILE", str(path))
    code, _, err = _run(
        capsys, "token", "create", "--name", "r", "--scope", "read", "--namespace", "default"
    )
    assert code == 0, err
    assert [record.name for record in load_tokens(path)] == ["r"]


def test_usage_and_edit_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tokens.json"
    base = ["token", "create", "--tokens-file", str(path)]
    code, _, err = _run(
        capsys, "token", "create", "--name", "x", "--scope", "read", "--namespace", "a"
    )
    assert code == 1
    assert "no tokens file" in err
    code, _, err = _run(capsys, *base, "--name", "x", "--scope", "root", "--namespace", "a")
    assert code == 2
    assert "invalid choice" in err
    code, _, err = _run(capsys, *base, "--name", "x", "--scope", "read")
    assert code == 2  # --namespace is required
    assert _run(capsys, *base, "--name", "x", "--scope", "read", "--namespace", "a")[0] == 0
    code, _, err = _run(capsys, *base, "--name", "x", "--scope", "read", "--namespace", "a")
    assert code == 1
    assert "exists already" in err
    code, _, err = _run(capsys, *base, "--name", "y", "--scope", "read", "--namespace", "Bad!")
    assert code == 1
    assert "namespace 'Bad!'" in err
    code, _, err = _run(
        capsys, *base, "--name", "static-token", "--scope", "read", "--namespace", "a"
    )
    assert code == 1
    assert "reserved" in err
    code, _, err = _run(capsys, "token", "revoke", "--name", "nobody", "--tokens-file", str(path))
    assert code == 1
    assert "no token named 'nobody'" in err
    assert [record.name for record in load_tokens(path)] == ["x"]  # failed edits changed nothing


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "malformed"),
        ('{"version": 2, "tokens": []}', "version 2"),
        ('{"version": 1, "tokens": [], "extra": 1}', "unknown field"),
        ('{"tokens": [{"name": "a", "sha256": "00", "scopes": ["read"], "namespaces": ["*"]}]}',
         "64 lowercase hex"),
        ('{"tokens": [{"name": "a", "sha256": "' + "0" * 64 + '", "scopes": ["root"], '
         '"namespaces": ["*"]}]}', "scopes"),
        ('{"tokens": [{"name": "a", "sha256": "' + "0" * 64 + '", "scopes": [], '
         '"namespaces": ["*"]}]}', "scopes must not be empty"),
        ('{"tokens": [{"name": "a", "sha256": "' + "0" * 64 + '", "scopes": ["read"], '
         '"namespaces": []}]}', "namespaces must not be empty"),
        ('{"tokens": [{"name": "a", "sha256": "' + "0" * 64 + '", "scopes": ["read"], '
         '"namespaces": ["*"]}, {"name": "a", "sha256": "' + "1" * 64 + '", '
         '"scopes": ["read"], "namespaces": ["*"]}]}', "appears twice"),
    ],
)  # fmt: skip
def test_malformed_tokens_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(content)
    with pytest.raises(TokensFileError, match=message):
        load_tokens(path)
    settings = Settings.from_env(transport="http", tokens_file=path)
    with pytest.raises(ConfigurationError, match=message):
        check_http_security(settings)


def test_the_server_takes_a_tokens_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tokens.json"
    token, _ = issue_token(path, "agent", ["read"], ["default"])
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    settings = settings_from_args(
        parser.parse_args(["--transport", "http", "--host", "0.0.0.0", "--tokens-file", str(path)])
    )
    assert settings.tokens_file == path
    assert settings.http_token is None
    check_http_security(settings)  # a tokens file is a token source, also off loopback
    monkeypatch.setenv("MEMORY_MCP_TOKENS_FILE", str(path))
    assert Settings.from_env().tokens_file == path
    authenticator = build_authenticator(settings)
    principal = authenticator.authenticate(token.encode())
    assert principal is not None
    assert principal.name == "agent"
    assert principal.has_scope("read")
    assert not principal.has_scope("write")
    assert principal.may_access("default")
    assert not principal.may_access("team-a")
    assert authenticator.authenticate(b"nope") is None
    # Missing file: refused before anything listens.
    missing = Settings.from_env(transport="http", tokens_file=tmp_path / "missing.json")
    with pytest.raises(TokensFileError, match="does not exist"):
        check_http_security(missing)


def test_a_broken_file_fails_closed_until_fixed(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    token, record = issue_token(path, "agent", ["write"], ["*"])
    authenticator = build_authenticator(Settings.from_env(transport="http", tokens_file=path))
    assert authenticator.authenticate(token.encode()) is not None
    path.write_text("{ not json")
    assert authenticator.authenticate(token.encode()) is None
    save_tokens(path, [record])
    assert authenticator.authenticate(token.encode()) is not None
    revoke_token(path, "agent")
    assert authenticator.authenticate(token.encode()) is None


def test_memory_console_script_issues_a_token(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "memory"
    if not script.exists():
        pytest.skip("the memory console script is not installed")
    path = tmp_path / "tokens.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    completed = subprocess.run(
        [str(script), "token", "create", "--name", "cli", "--scope", "read", "--namespace", "*",
         "--tokens-file", str(path)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    token = completed.stdout.strip()
    assert load_tokens(path)[0].sha256 == hash_token(token)
    assert token not in completed.stderr
