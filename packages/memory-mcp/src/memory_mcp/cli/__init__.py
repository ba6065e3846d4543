"""The ``memory`` command line: serve, inspect, search, export/import, sync, back up.

Every command accepts the store options (``--db-url``, ``--cache-path``, ``--no-cache``,
``--data-dir``, ``--namespace``, the same as the server's and read from the same
environment variables) and the output options ``--json`` (machine-readable results on
stdout) and ``--quiet`` (no progress bar or notes), before or after the command name.

Exit status: 0 on success, 1 on an error (one line on stderr: ``memory: error: ...``),
2 on a usage error, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence

import anyio

from memory_core.errors import MemoryCoreError
from memory_core.observability import LogFormat, configure_logging

from .._version import __version__
from ..errors import MemoryMcpError
from ..settings import LOG_FORMAT_ENV
from . import backup, episodes, patterns, serve, store, token, transfer
from .invocation import Invocation, add_global_options
from .output import Output

__all__ = ["build_parser", "main"]

Handler = Callable[[Invocation], Awaitable[None]]


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="memory",
        description="Command line of the self-learning episodic memory.",
        epilog="Run 'memory COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"memory {__version__}")
    add_global_options(parser, repeated=False)
    parent = argparse.ArgumentParser(add_help=False)
    add_global_options(parent, repeated=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve.register(commands)
    episodes.register(commands, parent)
    patterns.register(commands, parent)
    store.register(commands, parent)
    transfer.register(commands, parent)
    backup.register(commands, parent)
    token.register(commands)
    return parser


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``memory`` with ``argv`` (default: the process arguments); returns the exit status."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if args.command == "serve":
            return serve.serve(args, extra)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exit_:  # argparse: --help, --version (0) and usage errors (2)
        return exit_.code if isinstance(exit_.code, int) else 2
    output = Output(sys.stdout, sys.stderr, json_mode=args.json_mode, quiet=args.quiet)
    # Warnings from the library (a cache rebuilt, a retried request) go to stderr.
    log_format: LogFormat = "json" if os.environ.get(LOG_FORMAT_ENV) == "json" else "text"
    configure_logging(logging.WARNING, fmt=log_format, stream=sys.stderr)
    handler: Handler = args.handler
    try:
        invocation = Invocation(args, output)
        anyio.run(handler, invocation)
    except (MemoryCoreError, MemoryMcpError, OSError) as exc:
        output.error(_message(exc))
        return 1
    except KeyboardInterrupt:
        output.error("interrupted")
        return 130
    return 0
