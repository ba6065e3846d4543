"""``memory episode list|show|search|delete``."""

from __future__ import annotations

import argparse
from datetime import datetime

from memory_core import Episode, RetrievedEpisode, TaskContext
from memory_core.errors import ValidationError

from .invocation import Invocation
from .output import shorten

__all__ = ["register"]

_STATUSES = ("success", "partial", "failure", "abstained")
_COMPLEXITIES = ("simple", "moderate", "complex")


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _status(episode: Episode) -> str:
    return "running" if episode.outcome is None else str(episode.outcome.status)


def _reward(episode: Episode) -> str:
    return "-" if episode.reward is None else f"{episode.reward.total:.3f}"


def _table(episodes: list[Episode]) -> str:
    if not episodes:
        return "no episodes"
    lines = [f"{'ID':<36}  {'STARTED':<19}  {'STATUS':<9}  {'REWARD':>6}  {'DOMAIN':<12}  TASK"]
    for e in episodes:
        lines.append(
            f"{e.id!s:<36}  {_when(e.started_at):<19}  {_status(e):<9}  {_reward(e):>6}  "
            f"{shorten(e.context.domain, 12):<12}  {shorten(e.task_description, 60)}"
        )
    return "\n".join(lines)


def _details(e: Episode) -> str:
    ctx = e.context
    context = f"domain={ctx.domain} language={ctx.language or '-'} "
    context += f"framework={ctx.framework or '-'} complexity={ctx.complexity}"
    lines = [
        f"episode    {e.id}",
        f"task       {e.task_description}",
        f"type       {e.task_type}",
        f"context    {context} tags={','.join(ctx.tags) or '-'}",
        f"tags       {', '.join(e.tags) or '-'}",
        f"started    {_when(e.started_at)}",
        f"completed  {_when(e.completed_at)}",
    ]
    if e.outcome is not None:
        outcome = e.outcome
        detail = "; ".join(part for part in (outcome.result, outcome.error) if part)
        lines.append(f"outcome    {outcome.status}" + (f": {detail}" if detail else ""))
    if e.reward is not None:
        r = e.reward
        lines.append(
            f"reward     {r.total:.3f} = {r.base:.2f} base x {r.efficiency:.2f} efficiency x "
            f"{r.complexity_bonus:.2f} complexity x {r.quality_multiplier:.2f} quality "
            f"+ {r.learning_bonus:.2f} learning"
        )
    lines.append(f"steps      {len(e.steps)}")
    for step in e.steps:
        mark = "ok  " if step.success else "FAIL"
        text = step.error if step.error else step.observation
        lines.append(
            f"  {step.step_number:>3}. {mark} {step.tool}: {shorten(step.action, 50)} "
            f"({step.latency_ms} ms, {step.tokens} tokens)"
            + (f" - {shorten(text, 60)}" if text else "")
        )
    if e.reflection is not None:
        for name in ("successes", "improvements", "insights"):
            for item in getattr(e.reflection, name):
                lines.append(f"{name:<10} {item}")
    return "\n".join(lines)


def _search_table(hits: list[RetrievedEpisode]) -> str:
    if not hits:
        return "no matching episodes"
    lines = []
    for rank, hit in enumerate(hits, start=1):
        e = hit.episode
        parts = " ".join(f"{name}={value:.3f}" for name, value in sorted(hit.breakdown.items()))
        lines.append(f"{rank:>2}. {hit.score:.3f}  {e.id}  {shorten(e.task_description, 60)}")
        lines.append(f"    {e.context.domain}, {_status(e)}, reward {_reward(e)}  [{parts}]")
    return "\n".join(lines)


def _since(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO date or time such as 2026-01-31 or 2026-01-31T12:00:00+00:00, "
            f"got {value!r}"
        ) from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone (e.g. +00:00 or Z), got {value!r}")
    return parsed


async def _list(run: Invocation) -> None:
    args = run.args
    async with run.memory() as memory:
        episodes = await memory.list_episodes(
            domain=args.domain,
            tags=args.tag,
            outcome=args.outcome,
            since=args.since,
            limit=args.limit,
            offset=args.offset,
        )
    run.output.result(episodes, lambda: _table(episodes))


async def _show(run: Invocation) -> None:
    async with run.memory() as memory:
        episode = await memory.get_episode(run.args.episode_id)
    run.output.result(episode, lambda: _details(episode))


async def _search(run: Invocation) -> None:
    args = run.args
    try:
        context = TaskContext(
            domain=args.domain,
            language=args.language,
            framework=args.framework,
            tags=tuple(args.tag),
            complexity=args.complexity,
        )
    except (TypeError, ValueError) as exc:  # construction checks nothing but types
        raise ValidationError(f"context: {exc}", field="context") from exc
    async with run.memory() as memory:
        hits = await memory.retrieve_relevant_context(args.query, context, args.limit)
    run.output.result(hits, lambda: _search_table(hits))


async def _delete(run: Invocation) -> None:
    episode_id = run.args.episode_id
    async with run.memory() as memory:
        await memory.delete_episode(episode_id)
    run.output.result({"deleted": episode_id}, lambda: f"deleted episode {episode_id}")


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parent: argparse.ArgumentParser,
) -> None:
    """Add ``episode`` and its subcommands."""
    group = commands.add_parser("episode", help="list, show, search or delete episodes")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", parents=[parent], help="episodes, newest first")
    listing.add_argument("--domain", help="only this domain")
    listing.add_argument("--tag", action="append", default=[], help="must have this tag (repeat)")
    listing.add_argument("--outcome", choices=_STATUSES, help="only this outcome status")
    listing.add_argument("--since", type=_since, help="started at or after (ISO, with zone)")
    listing.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    listing.add_argument("--offset", type=int, default=0, help="skip this many first")
    listing.set_defaults(handler=_list)

    show = actions.add_parser("show", parents=[parent], help="one episode in full")
    show.add_argument("episode_id", metavar="ID")
    show.set_defaults(handler=_show)

    search = actions.add_parser(
        "search", parents=[parent], help="episodes relevant to a task, with score breakdown"
    )
    search.add_argument("query", metavar="QUERY", help="the new task, in words")
    search.add_argument("--domain", default="general", help="the task's domain")
    search.add_argument("--language", help="the task's language")
    search.add_argument("--framework", help="the task's framework")
    search.add_argument("--tag", action="append", default=[], help="a task tag (repeat)")
    search.add_argument("--complexity", choices=_COMPLEXITIES, default="moderate")
    search.add_argument("--limit", type=int, default=5, help="at most this many (default 5)")
    search.set_defaults(handler=_search)

    delete = actions.add_parser("delete", parents=[parent], help="delete an episode")
    delete.add_argument("episode_id", metavar="ID")
    delete.set_defaults(handler=_delete)
