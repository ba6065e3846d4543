"""Audit records of the HTTP transport: who did what, when, and whether it was allowed.

One record per authorized or refused tool call, resource read and ``/metrics``
request, and per failed authentication, on the logger ``memory_mcp.audit``:
allowed at ``INFO``, denied at ``WARNING``. The fields travel as ``extra=``
attributes (the JSON log format prints each one):

============= ==================================================================
``event``     always ``"audit"``
``principal`` the token's name (``None`` when authentication failed)
``operation`` what was attempted: the tool name, ``resources/read`` or
              ``GET /metrics``
``tool``      the tool name for tool calls, else ``None``
``namespace`` the namespace the call addressed (the default one when omitted)
``decision``  ``"allowed"`` or ``"denied"``
``reason``    why it was denied (empty when allowed)
``client``    the peer address, ``host:port``
``timestamp`` when, ISO 8601 in UTC
============= ==================================================================

Records never contain a token or a token's hash: callers pass names only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal

__all__ = ["AUDIT_LOGGER", "Outcome", "audit", "client_address"]

#: Name of the logger audit records go to.
AUDIT_LOGGER: Final = "memory_mcp.audit"

Outcome = Literal["allowed", "denied"]

logger = logging.getLogger(AUDIT_LOGGER)


def client_address(scope: Mapping[str, Any] | None) -> str | None:
    """``host:port`` of the peer of an ASGI ``scope`` (``None`` when unknown)."""
    client = scope.get("client") if scope is not None else None
    if not client:
        return None
    host, port = client[0], client[1]
    return f"{host}:{port}"


def audit(
    *,
    principal: str | None,
    operation: str,
    decision: Outcome,
    reason: str = "",
    tool: str | None = None,
    namespace: str | None = None,
    client: str | None = None,
) -> None:
    """Write one audit record (see the module docstring for the fields)."""
    level = logging.INFO if decision == "allowed" else logging.WARNING
    if not logger.isEnabledFor(level):
        return
    who = repr(principal) if principal is not None else "unauthenticated client"
    # Client-supplied text (a tool name, a path) must not forge log lines.
    what = operation if operation.isprintable() else repr(operation)
    where = f" on namespace {namespace!r}" if namespace is not None else ""
    why = f": {reason}" if reason else ""
    logger.log(
        level,
        "audit: %s %s by %s%s%s",
        decision,
        what,
        who,
        where,
        why,
        extra={
            "event": "audit",
            "principal": principal,
            "operation": operation,
            "tool": tool,
            "namespace": namespace,
            "decision": decision,
            "reason": reason,
            "client": client,
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        },
    )
