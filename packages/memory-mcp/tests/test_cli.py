"""The ``memory`` command line, run in process through ``main([...])`` on real files."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from memory_core.codec import encode_json
from memory_mcp.cli import build_parser, main
from memory_mcp.cli.progress import ProgressBar
from memory_mcp.transfer import EXPORT_FORMAT, EXPORT_VERSION
from memory_test_utils.workloads import generate_episodes

N_EPISODES = 40


class Result(msgspec.Struct):
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data directory, and no store settings inherited from the environment."""
    for name in ("MEMORY_DB_URL", "MEMORY_CACHE_PATH", "MEMORY_NAMESPACE", "MEMORY_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    directory = tmp_path / "data"
    monkeypatch.setenv("MEMORY_DATA_DIR", str(directory))
    return directory


@pytest.fixture
def run(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    def invoke(*args: str | Path) -> Result:
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def export_file(tmp_path: Path) -> Path:
    """An export file of generated episodes (a valid import source)."""
    path = tmp_path / "seed.jsonl"
    header = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION}
    lines = [json.dumps(header).encode()]
    lines += [encode_json(e) for e in generate_episodes(N_EPISODES, seed=21)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture
def seeded(run: Run, export_file: Path) -> Run:
    """``run`` on a store holding the generated episodes."""
    result = run("import", export_file)
    assert result.code == 0, result.err
    return run


def _ids(result: Result) -> list[str]:
    records = result.json()
    assert isinstance(records, list)
    return [record["episode"]["id"] if "episode" in record else record["id"] for record in records]


# Reading -----------------------------------------------------------------------------------
def test_import_reports_counts_and_stats_see_them(run: Run, export_file: Path) -> None:
    result = run("import", export_file)
    assert result.code == 0, result.err
    assert f"imported {N_EPISODES} new episodes" in result.out
    again = run("--json", "import", export_file)
    assert again.json() == {"episodes": N_EPISODES, "imported": 0, "replaced": 0, "skipped": 40}
    stats = run("stats", "--json").json()
    assert isinstance(stats, dict)
    assert stats["episodes"] == stats["completed_episodes"] == N_EPISODES
    assert stats["patterns"] > 0
    text = run("stats")
    assert text.code == 0
    assert f"episodes     {N_EPISODES} ({N_EPISODES} completed" in text.out
    assert "redaction    on, 0 secrets replaced" in text.out  # the CLI redacts by default


def test_episode_list_text_json_and_filters(seeded: Run) -> None:
    text = seeded("episode", "list", "--limit", "5")
    assert text.code == 0
    rows = text.out.splitlines()
    assert rows[0].split()[:3] == ["ID", "STARTED", "STATUS"]
    assert len(rows) == 6
    everything = seeded("--json", "episode", "list", "--limit", "100")
    assert len(_ids(everything)) == N_EPISODES
    # Global flags work after the command too.
    web = seeded("episode", "list", "--domain", "web", "--limit", "100", "--json").json()
    assert isinstance(web, list)
    assert web
    assert all(record["context"]["domain"] == "web" for record in web)
    failures = seeded("episode", "list", "--outcome", "failure", "--json").json()
    assert isinstance(failures, list)
    assert all(record["outcome"]["status"] == "failure" for record in failures)
    later = seeded("episode", "list", "--since", "2030-01-01T00:00:00+00:00", "--json")
    assert later.json() == []
    paged = _ids(seeded("episode", "list", "--limit", "3", "--offset", "3", "--json"))
    assert paged == _ids(everything)[3:6]


def test_episode_show_prints_the_whole_episode(seeded: Run) -> None:
    episode_id = _ids(seeded("episode", "list", "--json"))[0]
    shown = seeded("episode", "show", episode_id, "--json").json()
    assert isinstance(shown, dict)
    assert shown["id"] == episode_id
    assert shown["reward"] is not None
    assert shown["reflection"] is not None
    text = seeded("episode", "show", episode_id)
    assert text.code == 0
    assert f"episode    {episode_id}" in text.out
    assert "reward     " in text.out


def test_episode_search_prints_scores_with_breakdown(seeded: Run) -> None:
    hits = seeded("episode", "search", "deploy the service", "--domain", "devops", "--json")
    records = hits.json()
    assert isinstance(records, list)
    assert 0 < len(records) <= 5
    scores = [record["score"] for record in records]
    assert scores == sorted(scores, reverse=True)
    assert {"semantic", "lexical", "context", "recency", "reward"} <= set(records[0]["breakdown"])
    text = seeded("episode", "search", "deploy the service", "--limit", "2")
    assert text.code == 0
    assert " 1. " in text.out
    assert "semantic=" in text.out


def test_episode_delete_then_show_is_not_found(seeded: Run) -> None:
    episode_id = _ids(seeded("episode", "list", "--json"))[0]
    deleted = seeded("episode", "delete", episode_id, "--json")
    assert deleted.json() == {"deleted": episode_id}
    missing = seeded("episode", "show", episode_id)
    assert missing.code == 1
    assert missing.err == f"memory: error: episode {episode_id} does not exist\n"
    again = seeded("episode", "delete", episode_id)
    assert again.code == 1
    assert "does not exist" in again.err
    assert seeded("stats", "--json").json()["episodes"] == N_EPISODES - 1  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["episode", "show", "not-an-id"], "episode_id: must be a UUID, got 'not-an-id'"),
        (["episode", "delete", "42"], "episode_id: must be a UUID"),
        (["episode", "list", "--limit", "0"], "limit"),
        (["episode", "list", "--tag", "x"], "tags"),
        (["episode", "search", ""], "task_description"),
        (["patterns", "show", "zzz"], "pattern_id: must be a UUID"),
        (["patterns", "show", "00000000-0000-0000-0000-000000000001"], "does not exist"),
        (["patterns", "list", "--limit", "-1"], "limit"),
        (["--namespace", "Not Valid", "stats"], "namespace: must be 1-64 characters"),
        (["--db-url", "ftp://host/db", "stats"], "unsupported database URL scheme"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_1(
    seeded: Run, args: list[str], message: str
) -> None:
    result = seeded(*args)
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith("memory: error: ")
    assert result.err.count("\n") == 1
    assert message in result.err


def test_patterns_list_and_show(seeded: Run) -> None:
    patterns = seeded("patterns", "list", "--json", "--limit", "1000").json()
    assert isinstance(patterns, list)
    assert patterns
    kinds = {pattern["type"] for pattern in patterns}
    assert "tool_sequence" in kinds
    only = seeded("patterns", "list", "--kind", "error_recovery", "--json", "--limit", "1000")
    records = only.json()
    assert isinstance(records, list)
    assert records
    assert {record["type"] for record in records} == {"error_recovery"}
    pattern_id = patterns[0]["id"]
    assert seeded("patterns", "show", pattern_id, "--json").json() == patterns[0]
    text = seeded("patterns", "show", pattern_id)
    assert text.code == 0
    assert f"pattern    {pattern_id}" in text.out
    table = seeded("patterns", "list", "--limit", "3")
    assert table.code == 0
    assert len(table.out.splitlines()) == 4


def test_sync_reports_the_reconciliation(seeded: Run) -> None:
    seeded("episode", "list")  # warms the cache
    report = seeded("sync", "--json").json()
    assert isinstance(report, dict)
    assert report["cache_enabled"] is True
    assert report["removed"] == 0
    text = seeded("sync")
    assert text.code == 0
    assert "refreshed" in text.out
    no_cache = seeded("--no-cache", "sync", "--json").json()
    assert no_cache == {"checked": 0, "refreshed": 0, "removed": 0, "cache_enabled": True}


def test_read_commands_on_a_missing_store_fail_without_creating_it(
    run: Run, data_dir: Path
) -> None:
    for args in (["stats"], ["episode", "list"], ["patterns", "list"], ["export"]):
        result = run(*args)
        assert result.code == 1
        assert "no memory store at" in result.err
    assert not (data_dir / "memory.db").exists()


# Export / import ---------------------------------------------------------------------------
def test_export_to_a_file_then_import_elsewhere_is_lossless(seeded: Run, tmp_path: Path) -> None:
    out = tmp_path / "out" / "export.jsonl"
    out.parent.mkdir()
    report = seeded("export", "-o", out, "--json").json()
    assert report == {"episodes": N_EPISODES, "in_progress_skipped": 0, "path": str(out)}
    assert [p.name for p in out.parent.iterdir()] == ["export.jsonl"]  # no partial file left
    other = tmp_path / "other.db"
    assert seeded("--db-url", other, "--no-cache", "import", out).code == 0
    second = tmp_path / "second.jsonl"
    assert seeded("--db-url", other, "export", "-o", second).code == 0
    assert out.read_bytes().splitlines()[1:] == second.read_bytes().splitlines()[1:]


def test_export_to_stdout_writes_only_the_export(seeded: Run) -> None:
    result = seeded("export")
    assert result.code == 0
    lines = result.out.splitlines()
    assert json.loads(lines[0])["format"] == EXPORT_FORMAT
    assert len(lines) == N_EPISODES + 1
    assert {json.loads(line)["id"] for line in lines[1:]} == set(
        _ids(seeded("episode", "list", "--json", "--limit", "100"))
    )
    assert f"exported {N_EPISODES} episodes to stdout" in result.err


def test_import_of_a_corrupt_line_names_it_and_writes_nothing(
    run: Run, export_file: Path, data_dir: Path
) -> None:
    lines = export_file.read_bytes().splitlines()
    lines[17] = lines[17][:-20]  # truncated JSON on line 18
    broken = export_file.with_name("broken.jsonl")
    broken.write_bytes(b"\n".join(lines) + b"\n")
    result = run("import", broken)
    assert result.code == 1
    assert result.err.startswith("memory: error: line 18: cannot decode episode")
    assert result.err.count("\n") == 1
    assert not (data_dir / "memory.db").exists()  # not even an empty store was created


def test_import_errors(run: Run, tmp_path: Path) -> None:
    missing = run("import", tmp_path / "nope.jsonl")
    assert missing.code == 1
    assert missing.err == f"memory: error: {tmp_path / 'nope.jsonl'}: No such file or directory\n"
    (tmp_path / "empty.jsonl").write_bytes(b"")
    empty = run("import", tmp_path / "empty.jsonl")
    assert empty.code == 1
    assert "line 1: the file is empty" in empty.err


def test_import_from_stdin(run: Run, export_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Stdin:
        buffer = io.BytesIO(export_file.read_bytes())

    monkeypatch.setattr("sys.stdin", Stdin)
    result = run("--json", "import", "-", "--no-learn")
    assert result.json() == {"episodes": N_EPISODES, "imported": 40, "replaced": 0, "skipped": 0}


def test_import_replace_policy(seeded: Run, export_file: Path, tmp_path: Path) -> None:
    lines = export_file.read_bytes().splitlines()
    record = json.loads(lines[1])
    record["task_description"] = "replaced by the import"
    changed = tmp_path / "changed.jsonl"
    changed.write_bytes(lines[0] + b"\n" + json.dumps(record).encode() + b"\n")
    skipped = seeded("import", changed, "--json").json()
    assert skipped == {"episodes": 1, "imported": 0, "replaced": 0, "skipped": 1}
    replaced = seeded("import", changed, "--on-duplicate", "replace", "--json").json()
    assert replaced == {"episodes": 1, "imported": 0, "replaced": 1, "skipped": 0}
    shown = seeded("episode", "show", record["id"], "--json").json()
    assert shown["task_description"] == "replaced by the import"  # type: ignore[index]


# Backup / restore --------------------------------------------------------------------------
def test_backup_and_restore_round_trip(seeded: Run, tmp_path: Path) -> None:
    backup = tmp_path / "backup.db"
    made = seeded("backup", backup, "--json").json()
    assert isinstance(made, dict)
    assert made["episodes"] == N_EPISODES
    exists = seeded("backup", backup)
    assert exists.code == 1
    assert "exists" in exists.err
    assert seeded("backup", backup, "--overwrite").code == 0

    victim = _ids(seeded("episode", "list", "--json"))[0]
    assert seeded("episode", "delete", victim).code == 0
    restored = seeded("restore", backup)
    assert restored.code == 0, restored.err
    assert f"restored {N_EPISODES} episodes" in restored.out
    assert seeded("episode", "show", victim).code == 0
    missing = seeded("restore", tmp_path / "nothing.db")
    assert missing.code == 1
    assert "no backup at" in missing.err


def test_backup_of_a_remote_store_points_to_export(run: Run, tmp_path: Path) -> None:
    result = run("--db-url", "https://db.example.invalid", "backup", tmp_path / "b.db")
    assert result.code == 1
    assert "remote database" in result.err
    assert "memory export" in result.err


# Usage, serve, progress ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        [],
        ["bogus"],
        ["episode"],
        ["episode", "show"],
        ["stats", "--bogus"],
        ["episode", "list", "--limit", "many"],
        ["episode", "list", "--since", "yesterday"],
        ["import", "x.jsonl", "--on-duplicate", "merge"],
    ],
)
def test_usage_errors_exit_2(run: Run, args: list[str]) -> None:
    result = run(*args)
    assert result.code == 2
    assert "usage: memory" in result.err


def test_help_and_version_exit_0(run: Run) -> None:
    assert run("--help").code == 0
    version = run("--version")
    assert version.code == 0
    assert version.out.startswith("memory ")


def test_serve_hands_its_options_to_the_server(run: Run) -> None:
    result = run("--db-url", "x.db", "serve", "--help")
    assert result.code == 0
    assert "--transport" in result.out
    bad = run("serve", "--transport", "carrier-pigeon")
    assert bad.code == 2


def test_every_command_has_help() -> None:
    parser = build_parser()
    commands = ["serve", "episode", "patterns", "stats", "sync", "export", "import"]
    assert {*commands, "backup", "restore"} <= set(parser.format_help().split())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_only_on_a_terminal_and_not_when_quiet() -> None:
    terminal = _Terminal()
    bar = ProgressBar.for_stream(terminal, quiet=False)
    bar.update("importing", 5, 10)
    bar.update("importing", 10, 10)
    bar.update("checking", 3 * 1024 * 1024, 6 * 1024 * 1024, unit="bytes")
    bar.close()
    drawn = terminal.getvalue()
    assert "importing  [" in drawn
    assert "10/10 100%" in drawn
    assert "3.0 MiB/6.0 MiB" in drawn
    assert drawn.endswith("\n")
    for stream, quiet in ((_Terminal(), True), (io.StringIO(), False)):
        silent = ProgressBar.for_stream(stream, quiet=quiet)
        silent.update("importing", 1, 2)
        silent.close()
        assert stream.getvalue() == ""


def test_quiet_drops_notes_but_not_results(seeded: Run, tmp_path: Path) -> None:
    result = seeded("--quiet", "export")
    assert result.code == 0
    assert result.err == ""
    assert result.out.count("\n") == N_EPISODES + 1
