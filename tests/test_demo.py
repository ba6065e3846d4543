"""The README's main job: the demo runs and shows retrieved episodes with breakdowns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).parent.parent / "examples" / "demo.py"


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_demo_runs(backend: str) -> None:
    env = {**os.environ, "DEMO_EPISODES": "300"}
    result = subprocess.run(
        [sys.executable, str(DEMO), backend],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Recorded a live episode: reward" in out
    assert "Imported 300 episodes" in out
    assert out.count("-> 3 hits") == 4
    assert "semantic=" in out
    assert "lexical=" in out
    assert "Build REST API endpoint" in out
    assert "Patterns recommended for" in out
    assert "quality=" in out
    assert "Heuristics for devops:" in out
    assert "storage TursoStorage" in out
