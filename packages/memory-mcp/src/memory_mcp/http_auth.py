"""Static bearer-token authentication for the streamable HTTP transport.

Every HTTP request must carry ``Authorization: Bearer <token>``; a missing or
wrong token gets ``401`` with a ``WWW-Authenticate`` challenge before the MCP
app sees the request. Tokens are compared in constant time. Non-HTTP scopes
(the ASGI lifespan) pass through.
"""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["BearerTokenMiddleware"]

_REALM = "memory-mcp"


class BearerTokenMiddleware:
    """ASGI middleware admitting only requests that present ``token``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("the bearer token must not be empty")
        self.app = app
        self._expected = token.encode("utf-8")

    def __repr__(self) -> str:
        return f"BearerTokenMiddleware(app={self.app!r}, token=[redacted])"

    def _authorized(self, scope: Scope) -> bool:
        presented = b""
        for name, value in scope.get("headers", ()):
            if name.lower() == b"authorization":
                scheme, _, credentials = bytes(value).partition(b" ")
                if scheme.lower() == b"bearer":
                    presented = credentials.strip()
                break
        # compare_digest on equal-type bytes: the time does not depend on where they differ.
        return hmac.compare_digest(presented, self._expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        has_header = any(name.lower() == b"authorization" for name, _ in scope.get("headers", ()))
        error = "invalid_token" if has_header else "invalid_request"
        body = json.dumps(
            {"error": error, "error_description": "a valid bearer token is required"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", f'Bearer realm="{_REALM}", error="{error}"'.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
