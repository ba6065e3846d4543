"""Enforcing scopes and namespaces on MCP messages of the HTTP transport.

:class:`AccessControl` is an SDK server middleware (it sees every inbound message
before the handler runs, with the Starlette request that carried it). For
``tools/call`` it checks the tool's scope (:data:`memory_mcp.tools.TOOL_SCOPES`)
and the namespace the call addresses (its ``namespace`` argument, or the default
namespace); for ``resources/read`` the ``read`` scope and the namespace in the
URI. A refused tool call is an MCP error result (``isError: true``) whose text
starts ``access denied:``; a refused resource read is a JSON-RPC error with that
message. Nothing runs, so nothing is written. Every decision is audited
(:mod:`memory_mcp.audit`). Other methods (initialize, listings, ping) need only
an authenticated principal.

A message without a principal is refused (fail closed): the authentication
middleware sets one on every HTTP request it admits. The middleware is installed on
the server of the HTTP transport only; stdio is not authenticated (the local user
who starts the process may do everything).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import unquote

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_REQUEST, CallToolResult, TextContent

from .access import Decision, Principal, Scope, check_namespace, check_scope, check_tool_call
from .audit import audit, client_address
from .http_auth import principal_of

__all__ = ["ACCESS_DENIED", "DENIED_PREFIX", "AccessControl", "resource_namespace"]

#: JSON-RPC error code of a refused resource read.
ACCESS_DENIED: Final = INVALID_REQUEST
#: How the message of every refusal starts.
DENIED_PREFIX: Final = "access denied: "
_RESOURCE_SCHEME = "memory://"
_NO_PRINCIPAL = "the request carries no authenticated principal"


def resource_namespace(uri: str, default_namespace: str) -> str | None:
    """The namespace a ``memory://`` resource URI addresses (``None`` for other URIs).

    ``memory://episodes`` and ``memory://patterns`` are the default namespace's;
    ``memory://{namespace}/...`` names its namespace first.
    """
    if not uri.startswith(_RESOURCE_SCHEME):
        return None
    parts = uri[len(_RESOURCE_SCHEME) :].split("/")
    if len(parts) == 1:
        return default_namespace
    return unquote(parts[0])  # as the SDK decodes template variables


def _shown(value: object) -> str:
    """A client-supplied namespace as audit records and messages show it (bounded)."""
    return value[:80] if isinstance(value, str) else repr(value)[:80]


class AccessControl:
    """Server middleware refusing tool calls and resource reads the principal may not make.

    Args:
        tool_scopes: the scope each tool needs; a tool missing here needs ``admin``.
        default_namespace: the namespace of calls that name none.
    """

    def __init__(self, *, tool_scopes: Mapping[str, Scope], default_namespace: str) -> None:
        self.tool_scopes = dict(tool_scopes)
        self.default_namespace = default_namespace

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        """Check ``tools/call`` and ``resources/read``; pass everything else on."""
        if ctx.method == "tools/call":
            return await self._tool_call(ctx, call_next)
        if ctx.method == "resources/read":
            return await self._resource_read(ctx, call_next)
        return await call_next(ctx)

    def _caller(self, ctx: ServerRequestContext[Any, Any]) -> tuple[Principal | None, str | None]:
        scope = getattr(ctx.request, "scope", None)
        asgi_scope = scope if isinstance(scope, Mapping) else None
        return principal_of(asgi_scope), client_address(asgi_scope)

    async def _tool_call(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        params = ctx.params or {}
        name = params.get("name")
        if not isinstance(name, str):
            return await call_next(ctx)  # malformed: the SDK rejects it
        tool = _shown(name)
        arguments = params.get("arguments")
        raw = arguments.get("namespace") if isinstance(arguments, Mapping) else None
        namespace = self.default_namespace if raw is None else _shown(raw)
        principal, client = self._caller(ctx)
        if principal is None:
            decision = Decision(False, _NO_PRINCIPAL)
        else:
            decision = check_tool_call(principal, tool, namespace, self.tool_scopes)
        audit(
            principal=principal.name if principal is not None else None,
            operation=tool,
            tool=tool,
            namespace=namespace,
            decision="allowed" if decision.allowed else "denied",
            reason=decision.reason,
            client=client,
        )
        if not decision.allowed:
            text = DENIED_PREFIX + decision.reason
            return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)
        return await call_next(ctx)

    async def _resource_read(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        uri = (ctx.params or {}).get("uri")
        if not isinstance(uri, str):
            return await call_next(ctx)  # malformed: the SDK rejects it
        namespace = resource_namespace(uri, self.default_namespace)
        principal, client = self._caller(ctx)
        if principal is None:
            decision = Decision(False, _NO_PRINCIPAL)
        else:
            decision = check_scope(principal, "read", "resources/read")
            if decision.allowed and namespace is not None:
                decision = check_namespace(principal, _shown(namespace))
        audit(
            principal=principal.name if principal is not None else None,
            operation="resources/read",
            namespace=_shown(namespace) if namespace is not None else None,
            decision="allowed" if decision.allowed else "denied",
            reason=decision.reason,
            client=client,
        )
        if not decision.allowed:
            raise MCPError(code=ACCESS_DENIED, message=DENIED_PREFIX + decision.reason)
        return await call_next(ctx)
