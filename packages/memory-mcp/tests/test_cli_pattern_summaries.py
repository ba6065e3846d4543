"""The one-line pattern summaries of ``memory patterns``, and its domain filter."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from memory_core.codec import encode_json
from memory_core.models import TaskContext
from memory_core.patterns import (
    ContextPattern,
    DecisionPoint,
    ErrorRecovery,
    OutcomeStats,
    ToolSequence,
)
from memory_mcp.cli import main
from memory_mcp.cli.patterns import pattern_kind, summarize
from memory_mcp.transfer import EXPORT_FORMAT, EXPORT_VERSION
from memory_test_utils.workloads import generate_episodes

CONTEXT = TaskContext(domain="web")


def _id(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def test_each_kind_is_summarized() -> None:
    sequence = ToolSequence(
        id=_id(1),
        context=CONTEXT,
        tools=("grep", "edit", "pytest"),
        support=7,
        success_rate=0.857,
        avg_latency_ms=1234.4,
    )
    decision = DecisionPoint(
        id=_id(2),
        context=CONTEXT,
        condition="tests fail",
        action="read the traceback",
        outcome_stats=OutcomeStats(successes=5, failures=2),
    )
    recovery = ErrorRecovery(
        id=_id(3),
        context=CONTEXT,
        error_type="timeout",
        recovery_steps=("retry", "raise limit"),
        support=4,
        success_rate=0.5,
    )
    blind_retry = ErrorRecovery(
        id=_id(4), context=CONTEXT, error_type="flaky", recovery_steps=(), support=2, success_rate=1
    )
    context = ContextPattern(
        id=_id(5),
        context=CONTEXT,
        context_features=("domain=web", "language=python"),
        recommended_approach="write a failing test first",
        support=9,
        success_rate=0.9,
    )
    assert summarize(sequence) == "grep -> edit -> pytest (support 7, success 86%, 1234 ms avg)"
    assert (
        summarize(decision) == "after 'tests fail' do 'read the traceback' (5 succeeded, 2 failed)"
    )
    assert (
        summarize(recovery)
        == "'timeout' recovered by retry -> raise limit (support 4, success 50%)"
    )
    assert summarize(blind_retry) == "'flaky' recovered by retry (support 2, success 100%)"
    assert summarize(context) == (
        "domain=web, language=python => write a failing test first (support 9, success 90%)"
    )
    assert [pattern_kind(p) for p in (sequence, decision, recovery, context)] == [
        "tool_sequence",
        "decision_point",
        "error_recovery",
        "context_pattern",
    ]


def test_patterns_list_filters_by_domain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("MEMORY_DB_URL", "MEMORY_CACHE_PATH", "MEMORY_NAMESPACE", "MEMORY_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEMORY_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "seed.jsonl"
    header = json.dumps({"format": EXPORT_FORMAT, "version": EXPORT_VERSION}).encode()
    lines = [header, *(encode_json(e) for e in generate_episodes(40, seed=21))]
    source.write_bytes(b"\n".join(lines) + b"\n")
    assert main(["import", str(source)]) == 0
    capsys.readouterr()

    assert main(["patterns", "list", "--json", "--limit", "1000"]) == 0
    everything = json.loads(capsys.readouterr().out)
    domains = {p["context"]["domain"] for p in everything}
    assert len(domains) > 1, domains
    domain = sorted(domains)[0]
    assert main(["patterns", "list", "--json", "--limit", "1000", "--domain", domain]) == 0
    filtered = json.loads(capsys.readouterr().out)
    assert filtered == [p for p in everything if p["context"]["domain"] == domain]
    assert 0 < len(filtered) < len(everything)
    assert main(["patterns", "list", "--domain", "no-such-domain"]) == 0
    assert capsys.readouterr().out.strip() == "no patterns"
