"""``memory patterns list|show``."""

from __future__ import annotations

import argparse

from memory_core import ContextPattern, DecisionPoint, ErrorRecovery, Pattern, ToolSequence
from memory_core.errors import NotFoundError
from memory_core.validation import validate_episode_id, validate_limit

from .invocation import Invocation
from .output import shorten

__all__ = ["pattern_kind", "register", "summarize"]

_KINDS = ("tool_sequence", "decision_point", "error_recovery", "context_pattern")


def pattern_kind(pattern: Pattern) -> str:
    """The pattern's type tag, as in its JSON form (e.g. ``"tool_sequence"``)."""
    tag = type(pattern).__struct_config__.tag
    return str(tag)


def summarize(pattern: Pattern) -> str:
    """One line saying what the pattern is and how well supported it is."""
    if isinstance(pattern, ToolSequence):
        return (
            f"{' -> '.join(pattern.tools)} (support {pattern.support}, "
            f"success {pattern.success_rate:.0%}, {pattern.avg_latency_ms:.0f} ms avg)"
        )
    if isinstance(pattern, DecisionPoint):
        stats = pattern.outcome_stats
        return (
            f"after '{pattern.condition}' do '{pattern.action}' "
            f"({stats.successes} succeeded, {stats.failures} failed)"
        )
    if isinstance(pattern, ErrorRecovery):
        steps = " -> ".join(pattern.recovery_steps) or "retry"
        return (
            f"'{pattern.error_type}' recovered by {steps} "
            f"(support {pattern.support}, success {pattern.success_rate:.0%})"
        )
    if isinstance(pattern, ContextPattern):
        return (
            f"{', '.join(pattern.context_features)} => {pattern.recommended_approach} "
            f"(support {pattern.support}, success {pattern.success_rate:.0%})"
        )
    raise AssertionError(f"unknown pattern type {type(pattern).__name__}")  # pragma: no cover


def _table(patterns: list[Pattern]) -> str:
    if not patterns:
        return "no patterns"
    lines = [f"{'ID':<36}  {'KIND':<15}  {'DOMAIN':<12}  PATTERN"]
    for p in patterns:
        lines.append(
            f"{p.id!s:<36}  {pattern_kind(p):<15}  {shorten(p.context.domain, 12):<12}  "
            f"{shorten(summarize(p), 90)}"
        )
    return "\n".join(lines)


def _details(p: Pattern) -> str:
    ctx, eff = p.context, p.effectiveness
    lines = [
        f"pattern    {p.id}",
        f"kind       {pattern_kind(p)}",
        f"what       {summarize(p)}",
        f"context    domain={ctx.domain} language={ctx.language or '-'} "
        f"framework={ctx.framework or '-'} tags={','.join(ctx.tags) or '-'}",
        f"used       retrieved {eff.times_retrieved}, applied {eff.times_applied}, "
        f"helped {eff.times_helped}, hindered {eff.times_hindered}",
        f"keywords   {', '.join(p.keywords) or '-'}",
        f"updated    {p.updated_at:%Y-%m-%d %H:%M:%S}",
    ]
    if isinstance(p, ContextPattern) and p.evidence:
        lines.append(f"evidence   {', '.join(str(e) for e in p.evidence[:10])}")
    return "\n".join(lines)


async def _list(run: Invocation) -> None:
    args = run.args
    async with run.memory() as memory:
        limit = validate_limit(args.limit, memory.config.limits)
        patterns = await memory.list_patterns()
    if args.kind:
        patterns = [p for p in patterns if pattern_kind(p) == args.kind]
    if args.domain:
        patterns = [p for p in patterns if p.context.domain == args.domain]
    patterns = patterns[:limit]
    run.output.result(patterns, lambda: _table(patterns))


async def _show(run: Invocation) -> None:
    pattern_id = validate_episode_id(run.args.pattern_id, "pattern_id")
    async with run.memory() as memory:
        pattern = await memory.storage.get_pattern(pattern_id)
    if pattern is None:
        raise NotFoundError(f"pattern {pattern_id} does not exist")
    run.output.result(pattern, lambda: _details(pattern))


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parent: argparse.ArgumentParser,
) -> None:
    """Add ``patterns`` and its subcommands."""
    group = commands.add_parser("patterns", help="learned patterns")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", parents=[parent], help="learned patterns")
    listing.add_argument("--kind", choices=_KINDS, help="only this kind")
    listing.add_argument("--domain", help="only patterns learned in this domain")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.set_defaults(handler=_list)

    show = actions.add_parser("show", parents=[parent], help="one pattern in full")
    show.add_argument("pattern_id", metavar="ID")
    show.set_defaults(handler=_show)
