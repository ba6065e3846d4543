"""``python -m memory_mcp.cli`` runs the ``memory`` command and exits with its status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mcp_helpers import clean_env

from memory_mcp import __version__


def _module(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memory_mcp.cli", *args],
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_module_prints_the_version(tmp_path: Path) -> None:
    done = _module(tmp_path, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"memory {__version__}"


def test_module_exits_with_the_usage_status(tmp_path: Path) -> None:
    done = _module(tmp_path, "no-such-command")
    assert done.returncode == 2
    assert "invalid choice: 'no-such-command'" in done.stderr
