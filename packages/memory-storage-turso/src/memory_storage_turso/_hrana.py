"""An anyio-native Hrana-over-HTTP client on ``httpx.AsyncClient``.

Why this transport: the ``libsql`` package holds the GIL for a whole call, and on
a remote URL that call lasts as long as the network round trip plus the query
(measured: a 0.5 s query froze every other thread for 486 ms). ``httpx`` awaits
the socket through anyio, so the event loop (trio or asyncio) keeps running and
the GIL is free while the server works. ``libsql-client`` would also release the
GIL, but its async API is asyncio-only and it is unmaintained.

A :class:`HranaStream` is one server-side connection: requests on it are
serialized by the baton the server hands back. Each failure is classified here:
auth (401/403) → :class:`StorageAuthError`; transport errors, 5xx, 429 and
expired streams → :class:`TransientError` (the caller retries the whole unit of
work); a request that timed out → :class:`StorageUnavailableError`.
"""

from __future__ import annotations

import contextlib

import httpx
import msgspec

from ._hrana_wire import (
    CloseRequest,
    HranaError,
    PipelineRequest,
    PipelineResponse,
    StreamError,
    StreamOk,
    StreamRequest,
    decode_pipeline_response,
    encode_pipeline_request,
)
from ._location import TOKEN_ENV, redact
from ._retry import TransientError
from .errors import StorageAuthError, StorageQueryError, StorageUnavailableError

__all__ = ["HranaClient", "HranaStream", "raise_for_error"]

_BUSY_CODES = {"SQLITE_BUSY", "SQLITE_LOCKED"}
_EXCERPT = 300


class HranaClient:
    """HTTP access to one sqld / Turso database (``{base_url}/v2/pipeline``)."""

    def __init__(
        self,
        base_url: str,
        *,
        display: str,
        auth_token: str | None,
        timeout: float,
        connect_timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.display = display
        self.pipeline_url = f"{base_url}/v2/pipeline"
        self._token = auth_token
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"HranaClient({self.display!r})"

    async def open(self) -> None:
        """Create the connection pool (no request is sent)."""
        if self._http is not None:
            return
        headers = {"content-type": "application/json"}
        if self._token:
            headers["authorization"] = f"Bearer {self._token}"
        self._http = httpx.AsyncClient(
            headers=headers,
            timeout=self._timeout,
            follow_redirects=False,
            transport=self._transport,
        )

    async def aclose(self) -> None:
        """Close the pool; idempotent."""
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    def redact(self, text: str) -> str:
        """``text`` with the auth token masked (servers may echo what they were sent)."""
        return redact(text, self._token)

    def stream(self) -> HranaStream:
        """A new stream; the server opens it with the first request."""
        return HranaStream(self)

    async def post(self, url: str, request: PipelineRequest) -> PipelineResponse:
        """Send one pipeline request and classify any failure (see the module docstring)."""
        http = self._http
        if http is None:
            raise StorageUnavailableError(
                f"{self.display} is closed; open the storage first", url=self.display
            )
        try:
            response = await http.post(url, content=encode_pipeline_request(request))
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransientError(self.redact(f"cannot connect to {self.display}: {exc!r}")) from exc
        except httpx.TimeoutException as exc:
            raise StorageUnavailableError(
                f"{self.display} did not answer within {self._timeout.read:g}s "
                "(raise timeout= for slow queries)",
                url=self.display,
            ) from exc
        except httpx.TransportError as exc:
            raise TransientError(self.redact(f"cannot reach {self.display}: {exc!r}")) from exc
        return self._parse(response)

    def _parse(self, response: httpx.Response) -> PipelineResponse:
        status = response.status_code
        if status == 200:
            try:
                return decode_pipeline_response(response.content)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise StorageQueryError(
                    f"malformed Hrana response from {self.display}: {exc}", url=self.display
                ) from exc
        text = self.redact(response.text[:_EXCERPT].strip())
        # The native error, chained as the cause; its repr does not show the auth header.
        cause = httpx.HTTPStatusError(f"HTTP {status}", request=response.request, response=response)
        raise self._status_error(status, text) from cause

    def _status_error(self, status: int, text: str) -> Exception:
        if status in (401, 403):
            hint = (
                f"no auth token was given (pass auth_token= or set {TOKEN_ENV})"
                if not self._token
                else "the auth token was refused"
            )
            return StorageAuthError(
                f"{self.display} rejected the request (HTTP {status}): {hint}: {text}",
                url=self.display,
            )
        # A stream the server already dropped (idle timeout, restart) is worth a fresh try.
        if status == 429 or status >= 500 or (status == 400 and "baton" in text.lower()):
            return TransientError(f"HTTP {status} from {self.display}: {text}")
        return StorageQueryError(f"HTTP {status} from {self.display}: {text}", url=self.display)


def raise_for_error(error: HranaError, client: HranaClient) -> None:
    """Raise the package error matching a Hrana error (busy → transient)."""
    message = client.redact(error.message)
    if error.code in _BUSY_CODES or "database is locked" in message.lower():
        raise TransientError(f"{client.display}: {message}")
    suffix = f" ({error.code})" if error.code else ""
    raise StorageQueryError(
        f"statement failed on {client.display}: {message}{suffix}", url=client.display
    )


class HranaStream:
    """One Hrana stream: requests go out one at a time, chained by the baton."""

    def __init__(self, client: HranaClient) -> None:
        self._client = client
        self._url = client.pipeline_url
        self._baton: str | None = None
        self._started = False

    @property
    def is_open(self) -> bool:
        """True while the server keeps this stream (a baton is held)."""
        return self._baton is not None

    async def send(self, requests: list[StreamRequest]) -> list[StreamOk]:
        """Send ``requests``; their results, or the first request error raised."""
        if self._started and self._baton is None:
            raise TransientError(f"stream on {self._client.display} was closed by the server")
        self._started = True
        response = await self._client.post(self._url, PipelineRequest(self._baton, requests))
        self._baton = response.baton
        if response.base_url and response.base_url.startswith(("http://", "https://")):
            self._url = f"{response.base_url.rstrip('/')}/v2/pipeline"
        if len(response.results) != len(requests):
            raise StorageQueryError(
                f"{self._client.display} answered {len(response.results)} results "
                f"to {len(requests)} requests",
                url=self._client.display,
            )
        results: list[StreamOk] = []
        for result in response.results:
            if isinstance(result, StreamError):
                raise_for_error(result.error, self._client)
            else:
                results.append(result)
        return results

    async def close(self) -> None:
        """Close the stream if the server still holds it (rolls back open work); never raises."""
        if self._baton is None:
            return
        # The server drops idle streams by itself; failing to say goodbye is harmless.
        with contextlib.suppress(
            TransientError, StorageQueryError, StorageUnavailableError, StorageAuthError
        ):
            await self.send([CloseRequest()])
        self._baton = None
