"""The installed ``memory`` console script, run as a real process (also next to a live server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from memory_core.codec import encode_json
from memory_mcp.transfer import EXPORT_FORMAT, EXPORT_VERSION
from memory_test_utils.workloads import generate_episodes


def _memory_command() -> list[str]:
    script = Path(sys.executable).parent / "memory"
    assert script.exists(), "the memory console script is not installed in this environment"
    return [str(script)]


def _env(data_dir: Path) -> dict[str, str]:
    """This environment without MEMORY_* settings, storing under ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    env["MEMORY_DATA_DIR"] = str(data_dir)
    # The editable memory-core rebuilds on import and needs the venv's tools on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _memory(data_dir: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_memory_command(), *map(str, args)],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_console_script_imports_reports_and_exports(tmp_path: Path) -> None:
    data = tmp_path / "data"
    source = tmp_path / "seed.jsonl"
    lines = [json.dumps({"format": EXPORT_FORMAT, "version": EXPORT_VERSION}).encode()]
    lines += [encode_json(episode) for episode in generate_episodes(25, seed=4)]
    source.write_bytes(b"\n".join(lines) + b"\n")

    imported = _memory(data, "import", source, "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["imported"] == 25
    assert imported.stderr == ""  # stderr is not a terminal: no progress bar

    stats = _memory(data, "--json", "stats")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["completed_episodes"] == 25

    exported = _memory(data, "export")
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.splitlines()) == 26

    missing = _memory(data, "episode", "show", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 1
    assert missing.stderr.startswith("memory: error: episode 00000000-")
    assert missing.stdout == ""

    usage = _memory(data, "episode", "frobnicate")
    assert usage.returncode == 2


@pytest.mark.anyio
async def test_backup_while_the_server_runs_and_restore_waits_for_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    command = _memory_command()
    server = StdioServerParameters(command=command[0], args=["serve"], env=_env(data))
    backup = tmp_path / "live-backup.db"
    async with Client(server) as client:
        started = await client.call_tool(
            "start_episode", {"task_description": "Back up a live store", "domain": "ops"}
        )
        assert started.structured_content is not None
        episode_id = started.structured_content["episode_id"]
        await client.call_tool(
            "log_step",
            {"episode_id": episode_id, "tool": "sqlite", "action": "vacuum", "success": True},
        )
        completed = await client.call_tool(
            "complete_episode", {"episode_id": episode_id, "success": True}
        )
        assert not completed.is_error

        made = await anyio.run_process(
            [*command, "backup", str(backup), "--json"], env=_env(data), check=False
        )
        assert made.returncode == 0, made.stderr
        assert json.loads(made.stdout)["episodes"] == 1

        refused = await anyio.run_process(
            [*command, "restore", str(backup)], env=_env(data), check=False
        )
        assert refused.returncode == 1
        assert b"open in another process" in refused.stderr

    restored = await anyio.run_process(
        [*command, "restore", str(backup)], env=_env(data), check=False
    )
    assert restored.returncode == 0, restored.stderr
    shown = await anyio.run_process(
        [*command, "--json", "episode", "show", episode_id], env=_env(data), check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["outcome"]["status"] == "success"
