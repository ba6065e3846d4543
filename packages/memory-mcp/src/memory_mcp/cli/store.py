"""``memory stats`` and ``memory sync``: the store as a whole."""

from __future__ import annotations

import argparse

from memory_core import MemoryStats
from memory_core.storage import SyncReport

from .invocation import Invocation

__all__ = ["register"]


def _stats_text(stats: MemoryStats) -> str:
    queue = stats.learning.queue
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(stats.learning.patterns.items()))
    lines = [
        f"episodes     {stats.episodes} ({stats.completed_episodes} completed, "
        f"{stats.indexed_episodes} indexed)",
        f"patterns     {stats.patterns}" + (f" ({kinds})" if kinds else ""),
        f"heuristics   {stats.heuristics}",
        f"storage      {stats.storage}",
        f"embedder     {stats.embedder}",
        f"learning     {stats.learning.episodes_learned} episodes learned, queue "
        f"{queue.depth}/{queue.capacity}, {queue.failed} failed",
    ]
    redaction = stats.redaction
    if redaction.enabled:
        lines.append(f"redaction    on, {redaction.values_redacted} secrets replaced")
    else:
        lines.append("redaction    off")
    return "\n".join(lines)


def _sync_text(report: SyncReport) -> str:
    if not report.cache_enabled:
        return (
            f"cache could not be repaired and is bypassed (checked {report.checked}); "
            "see the log, or delete the cache file"
        )
    return (
        f"checked {report.checked} cached records: {report.refreshed} refreshed, "
        f"{report.removed} removed"
    )


async def _stats(run: Invocation) -> None:
    async with run.memory() as memory:
        stats = await memory.stats()
    run.output.result(stats, lambda: _stats_text(stats))


async def _sync(run: Invocation) -> None:
    async with run.memory() as memory:
        report = await memory.sync_memories()
    run.output.result(report, lambda: _sync_text(report))


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parent: argparse.ArgumentParser,
) -> None:
    """Add ``stats`` and ``sync``."""
    stats = commands.add_parser("stats", parents=[parent], help="counts of stored items")
    stats.set_defaults(handler=_stats)
    sync = commands.add_parser(
        "sync", parents=[parent], help="reconcile the cache with the database (database wins)"
    )
    sync.set_defaults(handler=_sync)
