"""Settings from the environment and flags; storage locations; the public surface."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import memory_mcp
from memory_core.errors import ValidationError
from memory_mcp.server import add_server_arguments, settings_from_args
from memory_mcp.settings import Settings, is_loopback, open_memory, validate_namespace


def test_public_names_are_exported() -> None:
    for name in memory_mcp.__all__:
        assert hasattr(memory_mcp, name), name
    assert {"Settings", "open_memory", "run_server", "build_server"} <= set(memory_mcp.__all__)


def test_environment_and_overrides(tmp_path: Path) -> None:
    env = {
        "MEMORY_DATA_DIR": str(tmp_path),
        "MEMORY_DB_URL": "http://127.0.0.1:9/{namespace}",
        "MEMORY_AUTH_TOKEN": "db-secret",
        "MEMORY_CACHE_PATH": "off",
        "MEMORY_NAMESPACE": "team",
        "MEMORY_MCP_PORT": "9001",
        "MEMORY_MCP_TOKEN": "http-secret",
        "MEMORY_LEARN_SYNCHRONOUSLY": "yes",
    }
    settings = Settings.from_env(env, port=9002)
    assert settings.data_dir == tmp_path
    assert settings.port == 9002  # the override wins
    assert settings.cache_enabled is False
    assert settings.learn_synchronously is True
    assert settings.default_namespace == "team"
    assert settings.database_url("alice") == "http://127.0.0.1:9/alice"
    assert settings.cache_file("alice") is None
    shown = repr(settings)
    assert "db-secret" not in shown
    assert "http-secret" not in shown
    assert "[redacted]" in shown


def test_default_locations_per_namespace(tmp_path: Path) -> None:
    settings = Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)})
    assert settings.database_url("default") == str(tmp_path / "memory.db")
    assert settings.cache_file("default") == tmp_path / "cache.redb"
    assert settings.database_url("bob") == str(tmp_path / "namespaces" / "bob" / "memory.db")
    assert settings.cache_file("bob") == tmp_path / "namespaces" / "bob" / "cache.redb"
    custom = Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)}, cache_path=tmp_path / "c.redb")
    assert custom.cache_file("default") == tmp_path / "c.redb"
    assert custom.cache_file("bob") == tmp_path / "namespaces" / "bob" / "cache.redb"


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"MEMORY_MCP_PORT": "eighty"}, "MEMORY_MCP_PORT"),
        ({"MEMORY_MCP_PORT": "70000"}, "port"),
        ({"MEMORY_MCP_TRANSPORT": "carrier-pigeon"}, "transport"),
        ({"MEMORY_NAMESPACE": "Not Valid"}, "namespace"),
        ({"MEMORY_LEARN_SYNCHRONOUSLY": "maybe"}, "MEMORY_LEARN_SYNCHRONOUSLY"),
        ({"MEMORY_MAX_OPEN_NAMESPACES": "0"}, "max_open_namespaces"),
    ],
)
def test_malformed_environment_is_a_clear_error(
    tmp_path: Path, env: dict[str, str], match: str
) -> None:
    with pytest.raises(ValidationError, match=match):
        Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path), **env})


def test_token_file(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\nignored\n")
    settings = Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)}, token_file=token_file)
    assert settings.http_token == "s3cret"
    via_env = Settings.from_env(
        {"MEMORY_DATA_DIR": str(tmp_path), "MEMORY_MCP_TOKEN_FILE": str(token_file)}
    )
    assert via_env.http_token == "s3cret"
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ValidationError, match="empty"):
        Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)}, token_file=tmp_path / "empty")
    with pytest.raises(ValidationError, match="cannot be read"):
        Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)}, token_file=tmp_path / "missing")


def test_flags_become_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MEMORY_DATA_DIR", "MEMORY_DB_URL", "MEMORY_CACHE_PATH", "MEMORY_MCP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    flags = ["--transport", "http", "--port", "9100", "--data-dir", str(tmp_path), "--no-cache"]
    flags += ["--namespace", "ops", "--allow-unauthenticated", "--learn-synchronously"]
    args = parser.parse_args(flags)
    settings = settings_from_args(args)
    assert settings.transport == "http"
    assert settings.port == 9100
    assert settings.data_dir == tmp_path
    assert settings.cache_enabled is False
    assert settings.default_namespace == "ops"
    assert settings.allow_unauthenticated is True
    assert settings.learn_synchronously is True


@pytest.mark.parametrize("name", ["", "A", "a b", "../x", "x" * 65, "é", None, 5])
def test_invalid_namespaces(name: object) -> None:
    with pytest.raises(ValidationError, match="namespace"):
        validate_namespace(name)


def test_loopback_hosts() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.10")
    assert not is_loopback("example.com")


@pytest.mark.anyio
async def test_open_memory_uses_the_configured_files(tmp_path: Path) -> None:
    settings = Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)})
    async with open_memory(settings, "alice") as memory:
        assert (await memory.stats()).episodes == 0
    assert (tmp_path / "namespaces" / "alice" / "memory.db").exists()
    no_cache = Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path), "MEMORY_CACHE_PATH": "off"})
    async with open_memory(no_cache) as memory:
        assert "TursoStorage" in repr(memory.storage)
        assert "Tiered" not in repr(memory.storage)
