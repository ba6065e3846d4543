"""Scenario 5, briefly: ``soak.py`` with 8 agents for a few seconds (the nox session runs 60 s)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rel_support import HERE, Recorder, child_env

DURATION = 6


def test_soak_briefly(tmp_path: Path, record: Recorder) -> None:
    output = tmp_path / "soak.json"
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "soak.py"),
            *("--duration", str(DURATION), "--agents", "8", "--output", str(output)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=child_env(),
        check=False,
    )
    assert output.exists(), done.stderr[-3000:]
    result = json.loads(output.read_text())
    numbers = {
        "agents": result["agents"],
        "duration_s": result["duration_s"],
        "episodes_completed": result["episodes_completed"],
        "errors": result["errors"],
        "lost_writes": result["lost_writes"],
        "all_calls": result["all_calls"],
    }
    record(
        scenario="Sustained run (brief check of soak.py)",
        storage="memory-mcp server (HTTP, default embedded storage)",
        numbers=numbers,
        mechanism=f"soak.py --duration {DURATION} --agents 8",
        notes="the full 60 s run is the soak row below",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert result["lost_writes"] == 0
    assert result["errors"] == 0
    assert result["episodes_completed"] >= 8
    assert result["integrity"] == "ok"
    assert result["server_exit_status"] == 0
