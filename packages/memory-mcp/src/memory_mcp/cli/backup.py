"""``memory backup`` and ``memory restore`` of an embedded store (see :mod:`memory_mcp.backup`)."""

from __future__ import annotations

import argparse
from pathlib import Path

import msgspec

from ..backup import backup_database, restore_database
from .invocation import Invocation

__all__ = ["register"]


async def _backup(run: Invocation) -> None:
    settings = run.settings
    report = await backup_database(
        settings.database_url(run.namespace),
        run.args.destination,
        auth_token=settings.auth_token,
        overwrite=run.args.overwrite,
    )
    run.output.result(
        report,
        lambda: (
            f"backed up {report.episodes} episodes ({report.bytes} bytes, integrity ok) "
            f"to {report.destination} in {report.seconds:.2f} s"
        ),
    )


async def _restore(run: Invocation) -> None:
    settings = run.settings
    # The cache is removed even when this run does not use it (--no-cache): a later run
    # with the cache on must not serve what the restored store no longer holds.
    cache = msgspec.structs.replace(settings, cache_enabled=True).cache_file(run.namespace)
    report = await restore_database(
        run.args.source,
        settings.database_url(run.namespace),
        cache_path=cache,
        auth_token=settings.auth_token,
        force=run.args.force,
    )
    run.output.result(
        report,
        lambda: (
            f"restored {report.episodes} episodes from {report.source} "
            f"into {report.destination}"
            + (
                f"; removed cache {', '.join(report.removed_cache_files)}"
                if report.removed_cache_files
                else ""
            )
        ),
    )


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parent: argparse.ArgumentParser,
) -> None:
    """Add ``backup`` and ``restore``."""
    backup = commands.add_parser(
        "backup",
        parents=[parent],
        help="consistent copy of the store's file, also while a server writes to it",
    )
    backup.add_argument("destination", metavar="DEST", type=Path, help="backup file to create")
    backup.add_argument("--overwrite", action="store_true", help="replace DEST if it exists")
    backup.set_defaults(handler=_backup)

    restore = commands.add_parser(
        "restore", parents=[parent], help="replace the store with a backup (store not in use)"
    )
    restore.add_argument("source", metavar="SRC", type=Path, help="backup file to restore")
    restore.add_argument(
        "--force",
        action="store_true",
        help="restore even if a process has the store open (restart it afterwards)",
    )
    restore.set_defaults(handler=_restore)
