"""URL forms, the default file, credentials and redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from memory_core.errors import ValidationError
from memory_storage_turso import DB_URL_ENV, TOKEN_ENV, TursoStorage, default_database_path
from memory_storage_turso._location import resolve_location

TOKEN = "eyJhbGciOiJFZERTQSJ9.secret-token-value"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DB_URL_ENV, raising=False)
    monkeypatch.delenv(TOKEN_ENV, raising=False)


def test_default_is_a_file_in_the_user_data_dir() -> None:
    location = resolve_location(None)
    assert location.kind == "file"
    assert Path(location.target) == default_database_path()
    assert default_database_path().name == "memory.db"


def test_environment_names_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DB_URL_ENV, "libsql://db.example.com")
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    location = resolve_location(None)
    assert (location.kind, location.target) == ("remote", "https://db.example.com")
    assert location.auth_token == TOKEN


@pytest.mark.parametrize(
    ("url", "kind", "target"),
    [
        (":memory:", "memory", ":memory:"),
        ("file::memory:", "memory", ":memory:"),
        ("/data/m.db", "file", "/data/m.db"),
        ("relative/m.db", "file", "relative/m.db"),
        ("file:/data/m.db", "file", "/data/m.db"),
        ("file:///data/my%20m.db", "file", "/data/my m.db"),
        ("C:\\data\\m.db", "file", "C:\\data\\m.db"),
        ("http://127.0.0.1:8080", "remote", "http://127.0.0.1:8080"),
        ("https://db.example.com/", "remote", "https://db.example.com"),
        ("libsql://db.example.com", "remote", "https://db.example.com"),
        ("libsql://127.0.0.1:8080?tls=0", "remote", "http://127.0.0.1:8080"),
    ],
)
def test_url_forms(url: str, kind: str, target: str) -> None:
    location = resolve_location(url)
    assert (location.kind, location.target) == (kind, target)


def test_path_objects_are_files(tmp_path: Path) -> None:
    assert resolve_location(tmp_path / "x.db").target == str(tmp_path / "x.db")


@pytest.mark.parametrize(
    "url",
    [
        "ws://db.example.com",
        "postgres://db",
        "https://user:pass@db.example.com",
        "https://db.example.com?mode=rw",
        "libsql://db.example.com?tls=maybe",
        "file:/x.db?mode=ro",
        "https://",
    ],
)
def test_rejected_urls(url: str) -> None:
    with pytest.raises(ValidationError):
        resolve_location(url)


def test_token_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    assert resolve_location("https://h").auth_token == "from-env"
    assert resolve_location("https://h?authToken=from-url").auth_token == "from-url"
    assert resolve_location("https://h?authToken=u", "from-arg").auth_token == "from-arg"
    assert resolve_location("/tmp/x.db", "ignored").auth_token is None


def test_token_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    storage = TursoStorage(f"libsql://db.example.com?authToken={TOKEN}")
    for text in (repr(storage), str(storage), storage.url, repr(resolve_location(storage.url))):
        assert TOKEN not in text
        assert "secret" not in text
    assert storage.url == "https://db.example.com"
    assert storage.is_remote


@pytest.mark.parametrize(
    "options",
    [{"timeout": 0}, {"retry_for": -1}, {"busy_timeout": float("nan")}, {"synchronous": "off"}],
)
def test_invalid_options(options: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TursoStorage(":memory:" if "busy_timeout" in options else "https://h", **options)  # type: ignore[arg-type]
