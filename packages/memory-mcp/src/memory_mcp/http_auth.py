"""Bearer-token authentication for the streamable HTTP transport.

Every HTTP request must carry ``Authorization: Bearer <token>``; a missing, wrong or
revoked token gets ``401`` with a ``WWW-Authenticate`` challenge (and an audit record)
before the app sees the request. An accepted token becomes a
:class:`~memory_mcp.access.Principal`, stored in the request's ASGI scope under
:data:`PRINCIPAL_KEY` (read it with :func:`principal_of`). The SDK hands every MCP
message the Starlette request that carried it, so tool-level checks see the
principal of that very request, also with many concurrent clients.

Token sources (:class:`Authenticator`):

- the static token (``MEMORY_MCP_TOKEN`` / ``--token-file``): principal
  ``static-token``, every scope on every namespace (what it always granted);
- the scoped tokens file (:mod:`memory_mcp.tokens`): re-read when it changes, so a
  revoked token is refused from the next request on. While the file is missing or
  malformed none of its tokens is accepted (fail closed) and an error is logged.

Presented tokens are hashed with SHA-256 and compared with every known hash in
constant time. Non-HTTP scopes (the ASGI lifespan) pass through.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any, Final

from starlette.types import ASGIApp, Receive, Scope, Send

from memory_core.observability import register_secret

from .access import Principal
from .audit import audit, client_address
from .errors import TokensFileError
from .tokens import load_tokens

__all__ = [
    "ANONYMOUS",
    "PRINCIPAL_KEY",
    "STATIC_TOKEN_PRINCIPAL",
    "Authenticator",
    "BearerAuthMiddleware",
    "BearerTokenMiddleware",
    "principal_of",
]

#: The ASGI scope key holding the authenticated :class:`Principal`.
PRINCIPAL_KEY: Final = "memory_mcp.principal"
#: The principal of the static ``MEMORY_MCP_TOKEN``: every scope, every namespace.
STATIC_TOKEN_PRINCIPAL: Final = Principal.create("static-token", ["admin"])
#: The principal of callers when HTTP runs without authentication (loopback opt-in).
ANONYMOUS: Final = Principal.create("anonymous", ["admin"])

_REALM = "memory-mcp"
logger = logging.getLogger("memory_mcp")


def principal_of(scope: Mapping[str, Any] | None) -> Principal | None:
    """The principal :class:`BearerAuthMiddleware` stored in an ASGI ``scope``, if any."""
    if scope is None:
        return None
    principal = scope.get(PRINCIPAL_KEY)
    return principal if isinstance(principal, Principal) else None


def _digest(token: str | bytes) -> bytes:
    data = token.encode("utf-8") if isinstance(token, str) else token
    return hashlib.sha256(data).digest()


class Authenticator:
    """Maps a presented bearer token to the principal it authenticates.

    Args:
        static_token: the single all-powerful token of older setups, or ``None``.
        tokens_file: the scoped tokens file, or ``None``; it must exist and parse
            when the authenticator is created (:class:`TokensFileError` otherwise).
        anonymous: admit requests without a token as :data:`ANONYMOUS` (only for
            ``--allow-unauthenticated`` on loopback). Ignored when a token source is set.
    """

    def __init__(
        self,
        *,
        static_token: str | None = None,
        tokens_file: Path | None = None,
        anonymous: bool = False,
    ) -> None:
        if static_token is not None and not static_token:
            raise ValueError("the bearer token must not be empty")
        register_secret(static_token)  # the log scrubber's safety net; it is never logged
        self._static = _digest(static_token) if static_token is not None else None
        self._tokens_file = tokens_file
        self._entries: tuple[tuple[bytes, Principal], ...] = ()
        self._signature: tuple[int, int, int] | None = None
        self.anonymous = anonymous and static_token is None and tokens_file is None
        if tokens_file is not None:
            self._load(self._stat(), raise_errors=True)

    def __repr__(self) -> str:
        return (
            f"Authenticator(static_token={'[redacted]' if self._static else None}, "
            f"tokens_file={self._tokens_file!s}, anonymous={self.anonymous})"
        )

    @property
    def requires_token(self) -> bool:
        """Whether requests must present a token (``False`` only in anonymous mode)."""
        return not self.anonymous

    def authenticate(self, token: bytes | None) -> Principal | None:
        """The principal ``token`` authenticates, or ``None`` (missing, unknown, revoked)."""
        if self.anonymous:
            return ANONYMOUS
        if not token:
            return None
        presented = _digest(token)
        found: Principal | None = None
        # Every candidate is compared (no early exit), each in constant time.
        if self._static is not None and hmac.compare_digest(presented, self._static):
            found = STATIC_TOKEN_PRINCIPAL
        for digest, principal in self._current_entries():
            if hmac.compare_digest(presented, digest):
                found = principal
        return found

    # The tokens file --------------------------------------------------------
    def _stat(self) -> tuple[int, int, int] | None:
        assert self._tokens_file is not None
        try:
            info = os.stat(self._tokens_file)
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def _current_entries(self) -> tuple[tuple[bytes, Principal], ...]:
        if self._tokens_file is None:
            return ()
        signature = self._stat()
        if signature != self._signature:
            self._load(signature, raise_errors=False)
        return self._entries

    def _load(self, signature: tuple[int, int, int] | None, *, raise_errors: bool) -> None:
        assert self._tokens_file is not None
        self._signature = signature
        try:
            records = load_tokens(self._tokens_file)
        except TokensFileError as exc:
            self._entries = ()  # fail closed until the file is fixed
            if raise_errors:
                raise
            logger.error("%s; refusing every token of that file until it is fixed", exc)
            return
        self._entries = tuple(
            (bytes.fromhex(record.sha256), record.principal()) for record in records
        )
        if not raise_errors:
            logger.info("tokens file %s reloaded: %d tokens", self._tokens_file, len(records))


def _bearer(scope: Scope) -> tuple[bool, bytes | None]:
    """Whether an Authorization header is present, and the bearer credentials in it."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            scheme, _, credentials = bytes(value).partition(b" ")
            if scheme.lower() == b"bearer":
                return True, credentials.strip() or None
            return True, None
    return False, None


class BearerAuthMiddleware:
    """ASGI middleware admitting only requests whose bearer token ``authenticator`` accepts.

    The accepted request's scope gets the principal under :data:`PRINCIPAL_KEY`.
    """

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    def __repr__(self) -> str:
        return f"{type(self).__name__}(app={self.app!r}, authenticator={self.authenticator!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_header, token = _bearer(scope)
        principal = self.authenticator.authenticate(token)
        if principal is not None:
            request_scope: MutableMapping[str, Any] = scope
            request_scope[PRINCIPAL_KEY] = principal
            await self.app(scope, receive, send)
            return
        error = "invalid_token" if has_header else "invalid_request"
        audit(
            principal=None,
            operation=f"{scope.get('method', '?')} {scope.get('path', '?')}",
            decision="denied",
            reason="unknown or revoked bearer token" if has_header else "no bearer token",
            client=client_address(scope),
        )
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


class BearerTokenMiddleware(BearerAuthMiddleware):
    """:class:`BearerAuthMiddleware` for one static ``token`` (every scope, every namespace)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        super().__init__(app, Authenticator(static_token=token))
