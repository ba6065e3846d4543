"""The ASGI app of the streamable HTTP transport: MCP at ``/mcp``, metrics at ``/metrics``.

Layers, outermost first: :class:`~memory_mcp.http_auth.BearerAuthMiddleware`
(authentication: every request needs a known token, or gets 401), then the SDK's
Starlette app whose MCP messages pass :class:`~memory_mcp.authorization.AccessControl`
(scopes and namespaces per tool call and resource read). ``GET /metrics`` serves
:func:`memory_mcp.metrics.render_prometheus` to principals with the ``admin``
scope (403 for others).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from .access import Decision, check_scope
from .app import build_server
from .audit import audit, client_address
from .authorization import AccessControl
from .http_auth import Authenticator, BearerAuthMiddleware, principal_of
from .metrics import CONTENT_TYPE, render_prometheus
from .namespaces import MemoryOpener, MemoryPool
from .settings import Settings, open_memory
from .tools import TOOL_SCOPES

__all__ = ["METRICS_PATH", "build_authenticator", "build_http_app"]

#: Where the Prometheus text exposition is served.
METRICS_PATH = "/metrics"


def build_authenticator(settings: Settings) -> Authenticator:
    """The token sources of ``settings``: the static token and/or the scoped tokens file.

    With neither, callers are admitted as ``anonymous`` (which
    :func:`memory_mcp.server.check_http_security` allows on loopback with
    ``allow_unauthenticated`` only). Raises :class:`memory_mcp.errors.TokensFileError`
    when the tokens file is missing or malformed.
    """
    if settings.http_token is None and settings.tokens_file is None:
        return Authenticator(anonymous=True)
    return Authenticator(static_token=settings.http_token, tokens_file=settings.tokens_file)


def build_http_app(
    settings: Settings, *, path: str = "/mcp", opener: MemoryOpener = open_memory
) -> tuple[ASGIApp, MemoryPool]:
    """The authenticated ASGI app serving ``settings``' memory, and its namespace pool.

    Run it with lifespan on (uvicorn ``lifespan="on"``): the lifespan opens and closes
    the pool. ``opener`` is as for :func:`memory_mcp.app.build_server`.
    """
    authenticator = build_authenticator(settings)
    server, pool = build_server(settings, opener=opener)
    server.middleware.append(
        AccessControl(tool_scopes=TOOL_SCOPES, default_namespace=settings.default_namespace)
    )

    async def metrics(request: Request) -> Response:
        """Prometheus metrics of the open namespaces (``admin`` scope)."""
        principal = principal_of(request.scope)
        operation = f"GET {METRICS_PATH}"
        decision = (
            Decision(False, "the request carries no authenticated principal")
            if principal is None
            else check_scope(principal, "admin", operation)
        )
        audit(
            principal=principal.name if principal is not None else None,
            operation=operation,
            decision="allowed" if decision.allowed else "denied",
            reason=decision.reason,
            client=client_address(request.scope),
        )
        if not decision.allowed:
            return JSONResponse(
                {"error": "insufficient_scope", "error_description": decision.reason},
                status_code=403,
                headers={
                    "www-authenticate": 'Bearer realm="memory-mcp", error="insufficient_scope", '
                    'scope="admin"'
                },
            )
        return Response(await render_prometheus(pool), media_type=CONTENT_TYPE)

    server.custom_route(METRICS_PATH, methods=["GET"], include_in_schema=False)(metrics)

    app = server.streamable_http_app(streamable_http_path=path, host=settings.host)
    return BearerAuthMiddleware(app, authenticator), pool
