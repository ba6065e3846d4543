"""``memory token create|list|revoke``: scoped bearer tokens of the HTTP transport.

The tokens file comes from ``--tokens-file`` or ``MEMORY_MCP_TOKENS_FILE`` (the
server's option and variable). ``create`` prints the new token once, on stdout, and
stores only its SHA-256; ``list`` shows names, scopes and namespaces; ``revoke``
removes a token, which a running server refuses from its next request on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..access import SCOPES
from ..errors import ConfigurationError
from ..tokens import TokenRecord, issue_token, load_tokens, revoke_token
from .invocation import Invocation
from .output import shorten

__all__ = ["register"]


def _tokens_file(run: Invocation) -> Path:
    path: Path | None = getattr(run.args, "tokens_file", None) or run.settings.tokens_file
    if path is None:
        raise ConfigurationError("no tokens file: pass --tokens-file or set MEMORY_MCP_TOKENS_FILE")
    return path.expanduser()


def _summary(record: TokenRecord) -> dict[str, object]:
    """What may be shown of an entry: never its hash."""
    return {
        "name": record.name,
        "scopes": list(record.scopes),
        "namespaces": list(record.namespaces),
        "created_at": record.created_at,
    }


def _grants(record: TokenRecord) -> str:
    principal = record.principal()
    scopes = ",".join(scope for scope in SCOPES if principal.has_scope(scope))
    return f"{scopes} on {','.join(record.namespaces)}"


async def _create(run: Invocation) -> None:
    path = _tokens_file(run)
    token, record = issue_token(path, run.args.name, run.args.scopes, run.args.token_namespaces)
    run.output.result({**_summary(record), "token": token, "tokens_file": str(path)}, lambda: token)
    run.output.note(
        f"issued token {record.name!r} ({_grants(record)}) in {path}; this is the only time "
        "it is shown: store it now"
    )


def _table(records: list[TokenRecord]) -> str:
    if not records:
        return "no tokens"
    lines = [f"{'NAME':<24}  {'SCOPES':<16}  {'CREATED':<25}  NAMESPACES"]
    for record in records:
        lines.append(
            f"{shorten(record.name, 24):<24}  {','.join(record.scopes):<16}  "
            f"{record.created_at or '-':<25}  {','.join(record.namespaces)}"
        )
    return "\n".join(lines)


async def _list(run: Invocation) -> None:
    records = load_tokens(_tokens_file(run), missing_ok=True)
    run.output.result([_summary(record) for record in records], lambda: _table(records))


async def _revoke(run: Invocation) -> None:
    path = _tokens_file(run)
    record = revoke_token(path, run.args.name)
    run.output.result(
        {"revoked": record.name, "tokens_file": str(path)},
        lambda: f"revoked token {record.name!r} ({_grants(record)}) in {path}",
    )


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tokens-file",
        type=Path,
        default=argparse.SUPPRESS,
        help="the tokens file (env MEMORY_MCP_TOKENS_FILE)",
    )
    # The store options do not apply here (and --namespace means something else), so
    # the output options are repeated by hand instead of taking the shared parent.
    parser.add_argument(
        "--json",
        dest="json_mode",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print results as JSON on stdout",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no notes"
    )


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``token`` with its actions ``create``, ``list`` and ``revoke``."""
    group = commands.add_parser("token", help="issue, list and revoke scoped HTTP tokens")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create",
        help="issue a token (printed once; the file keeps its SHA-256 only)",
        description="Issue a token. Scopes nest: admin includes write, which includes read.",
    )
    create.add_argument("--name", required=True, help="unique name (audit records show it)")
    create.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        required=True,
        choices=SCOPES,
        help="read, write or admin (repeatable)",
    )
    create.add_argument(
        "--namespace",
        dest="token_namespaces",
        action="append",
        required=True,
        metavar="NAMESPACE",
        help="a namespace the token may touch (repeatable); '*' for every namespace",
    )
    _add_common(create)
    create.set_defaults(handler=_create)

    listing = actions.add_parser("list", help="names, scopes and namespaces of the tokens")
    _add_common(listing)
    listing.set_defaults(handler=_list)

    revoke = actions.add_parser("revoke", help="remove a token (servers refuse it at once)")
    revoke.add_argument("--name", required=True, help="the token to remove")
    _add_common(revoke)
    revoke.set_defaults(handler=_revoke)
