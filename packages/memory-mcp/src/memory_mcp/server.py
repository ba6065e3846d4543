"""Running the server: ``memory-mcp`` (``main``) and :func:`run_server`.

Entry points for other front ends (the ``memory serve`` command)::

    parser = argparse.ArgumentParser()
    add_server_arguments(parser)            # --transport, --host, --port, --db-url, ...
    args = parser.parse_args()
    run_server(settings_from_args(args), backend=args.backend)

:func:`run_server` blocks until the server stops (stdin closed for stdio,
SIGINT/SIGTERM for both) and closes every memory on the way out, which drains
background learning. It raises :class:`memory_mcp.errors.ConfigurationError`
before listening when HTTP would be exposed without a token.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, cast

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server

from memory_core.errors import ValidationError
from memory_core.observability import configure_logging

from ._version import __version__
from .app import build_server
from .audit import AUDIT_LOGGER
from .errors import ConfigurationError
from .http_app import build_http_app
from .settings import LOG_FORMAT_ENV, Settings, is_loopback
from .stdio_input import cancellable_stdin
from .tokens import load_tokens

__all__ = [
    "add_server_arguments",
    "check_http_security",
    "main",
    "run_server",
    "settings_from_args",
]

logger = logging.getLogger("memory_mcp")

Backend = Literal["asyncio", "trio"]


def check_http_security(settings: Settings) -> None:
    """Refuse HTTP settings that would serve the memory to anyone who can connect.

    A token source (the static token, or a scoped tokens file, which must exist and
    parse) is required unless the host is loopback and ``allow_unauthenticated`` is set
    explicitly. Raises :class:`ConfigurationError` (:class:`TokensFileError` for a bad
    tokens file).
    """
    if settings.tokens_file is not None:
        load_tokens(settings.tokens_file)
        return
    if settings.http_token is not None:
        return
    if not is_loopback(settings.host):
        raise ConfigurationError(
            f"refusing to serve HTTP on {settings.host!r} without a token: set MEMORY_MCP_TOKEN, "
            "--token-file or --tokens-file (unauthenticated HTTP is only possible on a "
            "loopback address)"
        )
    if not settings.allow_unauthenticated:
        raise ConfigurationError(
            "HTTP needs a bearer token: set MEMORY_MCP_TOKEN, --token-file or --tokens-file, "
            "or pass --allow-unauthenticated to serve loopback clients without one"
        )


async def _cancel_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            logger.info("received signal %d; shutting down", signum)
            scope.cancel()
            return


async def _run_stdio(server: MCPServer[Any]) -> None:
    with cancellable_stdin() as lines:
        if lines is None:
            await server.run_stdio_async()
            return
        # MCPServer.run_stdio_async takes no streams; this is its body with our stdin (the
        # SDK's in-process client reaches the low-level server the same way).
        lowlevel = server._lowlevel_server
        stdin = cast("anyio.AsyncFile[str]", lines)
        async with stdio_server(stdin=stdin) as (read_stream, write_stream):
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


async def _serve_stdio(settings: Settings) -> None:
    server, _ = build_server(settings)
    async with anyio.create_task_group() as group:
        if sys.platform != "win32":  # no signal receivers there; Ctrl+C still ends the process
            group.start_soon(_cancel_on_signal, group.cancel_scope)
        await _run_stdio(server)
        group.cancel_scope.cancel()


async def _serve_http(settings: Settings, *, path: str = "/mcp") -> None:
    import uvicorn  # only the HTTP transport needs it

    app, _ = build_http_app(settings, path=path)
    # Audit records (memory_mcp.audit) are written whatever --log-level says, unless
    # that logger was configured explicitly.
    audit_logger = logging.getLogger(AUDIT_LOGGER)
    if audit_logger.level == logging.NOTSET:
        audit_logger.setLevel(logging.INFO)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=30,
    )
    # uvicorn handles SIGINT/SIGTERM itself (stop accepting, then the lifespan's exit, which
    # drains learning) and afterwards re-raises the signal to the previous handler. A graceful
    # stop on SIGTERM is a success, so that handler ignores it and the command exits with 0.
    previous = _ignore_sigterm()
    try:
        await uvicorn.Server(config).serve()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _ignore_sigterm() -> Any:
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, lambda signum, frame: None)


def run_server(settings: Settings, *, backend: Backend = "asyncio") -> None:
    """Serve ``settings`` over its transport until stopped (see the module docstring).

    ``backend`` selects the event loop for stdio; HTTP always runs on asyncio (uvicorn).
    """
    if settings.transport == "http":
        check_http_security(settings)
        anyio.run(_serve_http, settings, backend="asyncio")
    else:
        anyio.run(_serve_stdio, settings, backend=backend)


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the server's command-line options to ``parser`` (shared with ``memory serve``)."""
    parser.add_argument("--transport", choices=["stdio", "http"], help="default: stdio")
    parser.add_argument("--host", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="HTTP port (default 8765)")
    parser.add_argument("--token-file", type=Path, help="file whose first line is the HTTP token")
    parser.add_argument(
        "--tokens-file",
        type=Path,
        help="JSON file of scoped HTTP tokens (see 'memory token create')",
    )
    parser.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        default=None,
        help="serve HTTP without a token (loopback addresses only)",
    )
    parser.add_argument("--data-dir", type=Path, help="where the default database and cache live")
    parser.add_argument("--db-url", help="database path or URL (file:, http(s)://, libsql://)")
    parser.add_argument("--cache-path", type=Path, help="redb cache file")
    parser.add_argument(
        "--no-cache", action="store_true", default=False, help="run without the redb cache"
    )
    parser.add_argument("--namespace", help="namespace of calls that name none")
    parser.add_argument("--max-open-namespaces", type=int, help="bound on open namespaces")
    parser.add_argument(
        "--learn-synchronously",
        action="store_true",
        default=None,
        help="learn patterns before complete_episode returns",
    )
    parser.add_argument(
        "--no-redact-secrets",
        dest="redact_secrets",
        action="store_false",
        default=None,
        help="store secrets verbatim (default: redact them; env MEMORY_MCP_REDACT_SECRETS)",
    )
    parser.add_argument(
        "--backend", choices=["asyncio", "trio"], default="asyncio", help="event loop for stdio"
    )
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default="WARNING",
        help="server log level (logs go to stderr)",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """:class:`Settings` from the environment with the parsed options on top."""
    return Settings.from_env(
        token_file=args.token_file,
        tokens_file=args.tokens_file,
        transport=args.transport,
        host=args.host,
        port=args.port,
        allow_unauthenticated=args.allow_unauthenticated,
        data_dir=args.data_dir,
        db_url=args.db_url,
        cache_path=args.cache_path,
        cache_enabled=False if args.no_cache else None,
        default_namespace=args.namespace,
        max_open_namespaces=args.max_open_namespaces,
        learn_synchronously=args.learn_synchronously,
        redact_secrets=args.redact_secrets,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The ``memory-mcp`` command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="memory-mcp",
        description="MCP server of the self-learning episodic memory (stdio or streamable HTTP).",
    )
    parser.add_argument("--version", action="version", version=f"memory-mcp {__version__}")
    add_server_arguments(parser)
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=os.environ.get(LOG_FORMAT_ENV) or "text",
        help=f"log lines as text or one JSON object each (default text; env {LOG_FORMAT_ENV})",
    )
    args = parser.parse_args(argv)
    # stdout belongs to the protocol on stdio: every log line goes to stderr.
    configure_logging(args.log_level, fmt=args.log_format, stream=sys.stderr)
    try:
        settings = settings_from_args(args)
        run_server(settings, backend=args.backend)
    except (ConfigurationError, ValidationError) as exc:
        print(f"memory-mcp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
