"""``memory serve``: the MCP server, exactly as ``memory-mcp`` runs it."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

__all__ = ["register", "serve"]

# Global flags given before ``serve`` (memory --db-url X serve) become server flags.
_FORWARDED = (
    ("db_url", "--db-url"),
    ("cache_path", "--cache-path"),
    ("data_dir", "--data-dir"),
    ("namespace", "--namespace"),
)


def serve(args: argparse.Namespace, server_args: Sequence[str]) -> int:
    """Run the server with ``server_args`` (its own flags) plus the global flags given."""
    from ..server import main as server_main  # the server stack is heavy: load it on demand

    argv: list[str] = []
    for name, flag in _FORWARDED:
        value = getattr(args, name, None)
        if value is not None:
            argv += [flag, str(value)]
    if getattr(args, "no_cache", False):
        argv.append("--no-cache")
    return server_main([*argv, *server_args])


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``serve``; its options are the server's (``memory serve --help`` lists them)."""
    commands.add_parser(
        "serve",
        add_help=False,  # --help goes to the server's own parser
        help="run the MCP server (stdio or HTTP); same options as memory-mcp",
    )
