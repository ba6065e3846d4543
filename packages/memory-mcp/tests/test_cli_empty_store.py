"""``memory episode`` on an empty store, and the checks of its ``--since`` option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memory_mcp.cli import main
from memory_mcp.transfer import EXPORT_FORMAT, EXPORT_VERSION


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MEMORY_DB_URL", "MEMORY_CACHE_PATH", "MEMORY_NAMESPACE", "MEMORY_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    directory = tmp_path / "data"
    monkeypatch.setenv("MEMORY_DATA_DIR", str(directory))
    return directory


def test_listing_and_searching_nothing_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps({"format": EXPORT_FORMAT, "version": EXPORT_VERSION}) + "\n")
    assert main(["import", str(empty)]) == 0  # creates the store, with nothing in it
    capsys.readouterr()
    assert main(["episode", "list"]) == 0
    assert capsys.readouterr().out.strip() == "no episodes"
    assert main(["episode", "search", "deploy the web app"]) == 0
    assert capsys.readouterr().out.strip() == "no matching episodes"
    assert main(["episode", "list", "--since", "2026-01-31T12:00:00Z"]) == 0
    assert capsys.readouterr().out.strip() == "no episodes"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-01-31", "give a time zone (e.g. +00:00 or Z), got '2026-01-31'"),
        ("last tuesday", "expected an ISO date or time such as 2026-01-31"),
    ],
)
def test_since_needs_an_iso_time_with_a_zone(
    capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    assert main(["episode", "list", "--since", value]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
