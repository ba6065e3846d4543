"""Global options shared by every command, and what a command gets to work with."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from memory_core import SelfLearningMemory
from memory_core.errors import NotFoundError

from ..backup import local_store_file
from ..settings import Settings, open_memory
from .output import Output
from .progress import ProgressBar

__all__ = ["Invocation", "add_global_options"]


def add_global_options(parser: argparse.ArgumentParser, *, repeated: bool) -> None:
    """Add the flags every command accepts.

    They are added to the top-level parser and again (``repeated``) to each command, so
    ``memory --json stats`` and ``memory stats --json`` both work; the repeated copies
    default to "not given" so they never undo a flag given before the command.
    """

    def default(value: object) -> object:
        return argparse.SUPPRESS if repeated else value

    group = parser.add_argument_group("store and output options")
    group.add_argument(
        "--db-url",
        default=default(None),
        help="database path, file: URL or sqld/Turso URL (env MEMORY_DB_URL; "
        "token from MEMORY_AUTH_TOKEN)",
    )
    group.add_argument(
        "--cache-path",
        type=Path,
        default=default(None),
        help="redb cache file (env MEMORY_CACHE_PATH)",
    )
    group.add_argument(
        "--no-cache", action="store_true", default=default(False), help="run without the cache"
    )
    group.add_argument(
        "--data-dir",
        type=Path,
        default=default(None),
        help="directory of the default store and cache (env MEMORY_DATA_DIR)",
    )
    group.add_argument(
        "--namespace",
        default=default(None),
        help="tenant namespace (env MEMORY_NAMESPACE; default 'default')",
    )
    group.add_argument(
        "--json",
        dest="json_mode",
        action="store_true",
        default=default(False),
        help="print results as JSON on stdout",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="no progress bars or notes",
    )


class Invocation:
    """One run of a command: its parsed arguments, settings and output channels."""

    def __init__(self, args: argparse.Namespace, output: Output) -> None:
        self.args = args
        self.output = output
        self.settings = Settings.from_env(
            data_dir=args.data_dir,
            db_url=args.db_url,
            cache_path=args.cache_path,
            cache_enabled=False if args.no_cache else None,
            # As on the server: --namespace names the namespace this run works in.
            default_namespace=args.namespace,
        )
        self.namespace: str = self.settings.default_namespace

    @asynccontextmanager
    async def memory(self, *, create: bool = False) -> AsyncIterator[SelfLearningMemory]:
        """The memory of the selected store and namespace, closed on exit.

        Unless ``create``, a store file that does not exist yet is a NotFoundError rather
        than a new empty store (a mistyped path should not answer "no episodes").
        """
        if not create:
            url = self.settings.database_url(self.namespace)
            path = local_store_file(url, self.settings.auth_token)
            if path is not None and not path.is_file():
                raise NotFoundError(
                    f"no memory store at {path} (nothing stored yet, or a wrong "
                    "--db-url / --data-dir / --namespace?)"
                )
        async with open_memory(self.settings, self.namespace) as memory:
            yield memory

    def progress(self) -> ProgressBar:
        """A progress bar on stderr (silent when it is not a terminal or with ``--quiet``)."""
        return ProgressBar.for_stream(self.output.stderr, quiet=self.output.quiet)
