"""Rule-based reflection: what worked, what to improve, what to remember.

Deterministic (same episode → same reflection), no LLM, at most
:data:`MAX_ITEMS` entries per list. Rules read step statistics: success rate,
tools that failed repeatedly, repeated error classes, latency bottlenecks
(> 3× the mean and > 1 s), redundant repeats, token use and recoveries.
An optional hook may append extra insights (e.g. LLM-written); its output is
bounded the same way.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable

from .models import Episode, ExecutionStep, Reflection
from .text import normalize_error

__all__ = ["MAX_ITEMS", "InsightHook", "generate_reflection"]

MAX_ITEMS = 5
_MAX_ITEM_CHARS = 300
_SLOW_FACTOR = 3.0
_SLOW_MIN_MS = 1_000
_HIGH_TOKENS_PER_STEP = 5_000

#: Optional extra insights: called with the episode, returns strings.
InsightHook = Callable[[Episode], list[str]]


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_ITEM_CHARS else text[: _MAX_ITEM_CHARS - 1] + "…"


def _recoveries(steps: tuple[ExecutionStep, ...]) -> list[tuple[ExecutionStep, ExecutionStep]]:
    return [(a, b) for a, b in itertools.pairwise(steps) if not a.success and b.success]


def _successes(episode: Episode) -> list[str]:
    steps = episode.steps
    outcome = episode.outcome
    items: list[str] = []
    if outcome is not None and outcome.status == "success":
        items.append(
            f"Task completed successfully in {len(steps)} step{'' if len(steps) == 1 else 's'}"
        )
    elif outcome is not None and outcome.status == "partial" and outcome.completed:
        items.append(f"Partially completed: {', '.join(outcome.completed[:3])}")
    if steps:
        ok = episode.successful_steps
        if ok / len(steps) >= 0.9 and len(steps) >= 3:
            items.append(f"{ok} of {len(steps)} steps succeeded ({ok / len(steps):.0%})")
    for failed, fixed in _recoveries(steps)[:2]:
        items.append(f"Recovered from a failing {failed.tool} step by {fixed.tool}: {fixed.action}")
    per_tool = Counter(step.tool for step in steps)
    failing_tools = {step.tool for step in steps if not step.success}
    reliable = sorted(
        (tool for tool, n in per_tool.items() if n >= 2 and tool not in failing_tools),
        key=lambda tool: (-per_tool[tool], tool),
    )
    if reliable:
        items.append(
            "Reliable tools: "
            + ", ".join(f"{t} ({per_tool[t]}/{per_tool[t]})" for t in reliable[:3])
        )
    duration = episode.duration_ms
    if outcome is not None and outcome.success and duration is not None and duration < 30_000:
        items.append(f"Finished quickly ({duration / 1000:.1f} s)")
    return items


def _improvements(episode: Episode) -> list[str]:
    steps = episode.steps
    outcome = episode.outcome
    items: list[str] = []
    if outcome is not None and not outcome.success and outcome.error:
        items.append(f"Task failed: {outcome.error.strip()[:200]}")
    if steps:
        rate = episode.successful_steps / len(steps)
        if rate < 0.7:
            items.append(f"Only {rate:.0%} of steps succeeded; check preconditions before acting")
    failures = Counter(step.tool for step in steps if not step.success)
    for tool, count in sorted(failures.items(), key=lambda kv: (-kv[1], kv[0])):
        if count >= 2:
            items.append(f"{tool} failed {count} times; try a different approach sooner")
    errors = Counter(normalize_error(step.error) for step in steps if step.error)
    for error, count in sorted(errors.items(), key=lambda kv: (-kv[1], kv[0])):
        if count >= 2:
            items.append(f"The same error occurred {count} times: {error[:120]}")
    if len(steps) >= 2:
        mean = sum(step.latency_ms for step in steps) / len(steps)
        slow = [
            step
            for step in steps
            if step.latency_ms > _SLOW_FACTOR * mean and step.latency_ms > _SLOW_MIN_MS
        ]
        for step in sorted(slow, key=lambda s: (-s.latency_ms, s.step_number))[:2]:
            items.append(
                f"Step {step.step_number} ({step.tool}: {step.action[:60]}) took "
                f"{step.latency_ms} ms, over 3x the mean of {mean:.0f} ms"
            )
    repeats = Counter((step.tool, step.action) for step in steps)
    for (tool, action), count in sorted(repeats.items(), key=lambda kv: (-kv[1], kv[0])):
        if count >= 3:
            items.append(f"{tool}: {action[:60]} was repeated {count} times; avoid redundant steps")
    tokens = sum(step.tokens for step in steps)
    if steps and tokens / len(steps) > _HIGH_TOKENS_PER_STEP:
        items.append(
            f"High token use: {tokens} tokens over {len(steps)} steps "
            f"({tokens / len(steps):.0f} per step)"
        )
    return items


def _insights(episode: Episode) -> list[str]:
    steps = episode.steps
    items: list[str] = []
    if steps:
        sequence: list[str] = []
        for step in steps:
            if not sequence or sequence[-1] != step.tool:
                sequence.append(step.tool)
        items.append("Tool sequence: " + " -> ".join(sequence[:8]))
    for failed, fixed in _recoveries(steps)[:2]:
        error = normalize_error(failed.error or failed.observation or "failure")[:100]
        items.append(
            f"When {failed.tool} fails with '{error}', {fixed.tool} ({fixed.action}) works"
        )
    context = episode.context
    where = "/".join(part for part in (context.domain, context.language, context.framework) if part)
    if episode.outcome is not None:
        items.append(
            f"A {context.complexity} {episode.task_type} task in {where} ended as "
            f"{episode.outcome.status} after {len(steps)} step{'' if len(steps) == 1 else 's'}"
        )
        if episode.outcome.status == "abstained":
            items.append("The agent abstained; record what information was missing")
    tokens = sum(step.tokens for step in steps)
    if tokens:
        items.append(f"Used {tokens} tokens in total")
    return items


def _bounded(items: list[str]) -> tuple[str, ...]:
    unique = list(dict.fromkeys(_clip(item) for item in items))
    return tuple(unique[:MAX_ITEMS])


def generate_reflection(episode: Episode, hook: InsightHook | None = None) -> Reflection:
    """Reflect on a completed episode; ``hook`` may add insights (kept within the bound)."""
    insights = _insights(episode)
    if hook is not None:
        insights = [*hook(episode), *insights]
    return Reflection(
        successes=_bounded(_successes(episode)),
        improvements=_bounded(_improvements(episode)),
        insights=_bounded(insights),
    )
