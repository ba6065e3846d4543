"""Fixtures of the reliability suite: the ``record`` fixture and the results file.

Every scenario asserts its behaviour and hands its numbers to ``record``. At the end of
the session the records, each with its test's outcome, are written to
``reliability/results/pytest.json`` (or ``$RELIABILITY_RESULTS``); ``report.py`` merges
that file with the soak run's into ``REPORT.md`` and ``report.json``.

The root ``pyproject.toml`` settings (importlib imports, strict markers) and the
``memory_test_utils`` pytest plugin (``anyio_backend``, ``sqld_server``) apply as usual.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

# The tests import their helpers by module name (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))

from rel_support import RESULTS, Recorder, machine

_RECORDS: list[dict[str, Any]] = []
_OUTCOMES: dict[str, str] = {}
_REASONS: dict[str, str] = {}


@pytest.fixture(scope="module", params=["trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Scenarios run under trio (the primary backend); the sqld restart test adds asyncio."""
    backend: str = request.param
    return backend


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    """``record(scenario=..., storage=..., numbers={...}, mechanism=..., notes=..., finding=...)``.

    ``finding``: something the run showed that users should know (listed in the report).
    """
    started = time.monotonic()
    mine: list[dict[str, Any]] = []

    def add(
        *,
        scenario: str,
        storage: str,
        numbers: dict[str, Any],
        mechanism: str = "",
        notes: str = "",
        finding: str = "",
    ) -> None:
        mine.append(
            {
                "test": request.node.nodeid,
                "scenario": scenario,
                "storage": storage,
                "numbers": numbers,
                "mechanism": mechanism,
                "notes": notes,
                "finding": finding,
            }
        )

    yield add
    for entry in mine:
        entry["seconds"] = round(time.monotonic() - started, 2)
    _RECORDS.extend(mine)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    previous = _OUTCOMES.get(item.nodeid, "passed")
    if report.failed:
        _OUTCOMES[item.nodeid] = "failed"
        _REASONS[item.nodeid] = str(report.longreprtext)[-1500:]
    elif report.skipped and previous != "failed":
        _OUTCOMES[item.nodeid] = "skipped"
        _REASONS[item.nodeid] = str(report.longreprtext)[-500:]
    elif report.when == "call" and previous not in ("failed", "skipped"):
        _OUTCOMES[item.nodeid] = "passed"
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _OUTCOMES:
        return
    for entry in _RECORDS:
        entry["outcome"] = _OUTCOMES.get(entry["test"], "unknown")
    recorded = {entry["test"] for entry in _RECORDS}
    # A test that failed or skipped before recording still shows up in the report.
    for nodeid, outcome in _OUTCOMES.items():
        if nodeid not in recorded:
            _RECORDS.append(
                {
                    "test": nodeid,
                    "scenario": nodeid.split("::")[-1],
                    "storage": "",
                    "numbers": {},
                    "mechanism": "",
                    "notes": _REASONS.get(nodeid, ""),
                    "outcome": outcome,
                }
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {"machine": machine(), "exitstatus": int(exitstatus), "records": _RECORDS}
    (RESULTS / "pytest.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
