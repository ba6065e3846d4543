"""An embedder for any server speaking the OpenAI embeddings API over HTTP.

``POST {base_url}/embeddings`` with ``{"model": ..., "input": [...]}``: OpenAI itself,
and the OpenAI-compatible endpoints of Ollama, vLLM and the llama.cpp server. It uses a
synchronous ``httpx.Client`` (install the ``openai`` extra: ``memory-core[openai]``);
:class:`~memory_core.SelfLearningMemory` calls it from a worker thread.

Behaviour worth knowing:

- Texts go out in batches of ``batch_size``, in order; rows come back in input order
  (the response's ``index`` fields are honoured and checked).
- Empty or blank texts are not sent: they get zero rows, as the protocol says.
- Timeouts, connection failures, HTTP 429 and 5xx are retried up to ``max_retries``
  times with exponential backoff (``backoff`` × 2^attempt, with jitter), or after the
  server's ``Retry-After`` when it gives one; both are capped at ``max_backoff``.
- When ``dim`` is not given, it is discovered from the first response. Reading
  :attr:`~OpenAICompatibleEmbedder.dim` or :attr:`~OpenAICompatibleEmbedder.name` before
  any :meth:`~OpenAICompatibleEmbedder.embed` call therefore sends one request (one short
  text) and blocks: pass ``dim`` to avoid it.
- The API key is read once at construction, from ``api_key`` or the ``api_key_env``
  environment variable, and never appears in ``repr``, error messages or logs.
"""

from __future__ import annotations

import email.utils
import importlib
import json
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt

from ..errors import EmbeddingError, ValidationError
from ..observability._secrets import register_secret
from ._rows import check_texts, unit_rows

if TYPE_CHECKING:
    import httpx

__all__ = ["OpenAICompatibleEmbedder"]

_log = logging.getLogger(__name__)

# Request timeout, too early, too many requests: worth another try, as is every 5xx.
_RETRY_STATUSES = frozenset({408, 425, 429})
_PROBE_TEXT = "dimension probe"
_DETAIL_CHARS = 300


class _Secret:
    """Holds the API key so that no repr, traceback local or log line can show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)  # the logging filter scrubs it should it ever be formatted

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"


def _import_httpx() -> Any:
    try:
        return importlib.import_module("httpx")
    except ImportError as exc:
        raise ImportError(
            "OpenAICompatibleEmbedder needs httpx: install the extra "
            "`pip install 'memory-core[openai]'`"
        ) from exc


def _public_url(url: str) -> str:
    """``url`` without user info, query or fragment: safe to show in messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _positive(name: str, value: float, *, integer: bool = False) -> None:
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or not value > 0:
        raise ValidationError(f"{name} must be a positive number, got {value!r}", field=name)


class OpenAICompatibleEmbedder:
    """Embeds texts through an OpenAI-compatible ``/embeddings`` endpoint.

    Args:
        model: the server's model name, e.g. ``"text-embedding-3-small"`` or
            ``"nomic-embed-text"``.
        base_url: the API root; ``/embeddings`` is appended.
        api_key_env: environment variable holding the key; ``None`` for servers
            without authentication (a local Ollama, say).
        api_key: the key itself; takes precedence over ``api_key_env``.
        dim: the expected vector dimension; discovered by a first request when omitted.
        batch_size: texts per request.
        timeout: seconds allowed for each phase of a request (connect, write, read).
        max_retries: retries after the first attempt of each request.
        backoff: first retry delay in seconds, doubled for each further retry.
        max_backoff: the longest wait between attempts, ``Retry-After`` included.

    Raises:
        ValidationError: a parameter is out of range.
        EmbeddingError: ``api_key_env`` is set but the variable is missing or empty.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str = "https://api.openai.com/v1",
        api_key_env: str | None = "OPENAI_API_KEY",
        api_key: str | None = None,
        dim: int | None = None,
        batch_size: int = 128,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        if not isinstance(model, str) or not model.strip():
            raise ValidationError("model must be a non-empty string", field="model")
        parts = urlsplit(base_url) if isinstance(base_url, str) else None
        if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValidationError(
                "base_url must be an http(s) URL such as 'http://localhost:11434/v1'",
                field="base_url",
            )
        if dim is not None:
            _positive("dim", dim, integer=True)
        _positive("batch_size", batch_size, integer=True)
        _positive("timeout", timeout)
        _positive("max_backoff", max_backoff)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValidationError(
                f"max_retries must be an int >= 0, got {max_retries!r}", field="max_retries"
            )
        if isinstance(backoff, bool) or not isinstance(backoff, int | float) or backoff < 0:
            raise ValidationError(f"backoff must be >= 0, got {backoff!r}", field="backoff")
        self._model = model
        self._endpoint = base_url.rstrip("/") + "/embeddings"
        self._public_endpoint = _public_url(self._endpoint)
        self._key = self._resolve_key(api_key, api_key_env)
        self._dim = dim
        self._batch_size = batch_size
        self._timeout = float(timeout)
        self._max_retries = max_retries
        self._backoff = float(backoff)
        self._max_backoff = float(max_backoff)
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def _resolve_key(self, api_key: str | None, api_key_env: str | None) -> _Secret | None:
        if api_key is not None:
            if not isinstance(api_key, str) or not api_key:
                raise ValidationError("api_key must be a non-empty string", field="api_key")
            return _Secret(api_key)
        if api_key_env is None:
            return None
        value = os.environ.get(api_key_env, "")
        if not value:
            raise EmbeddingError(
                f"no API key for {self._public_endpoint}: set the {api_key_env} "
                "environment variable, pass api_key=..., or pass api_key_env=None "
                "for a server without authentication",
                url=self._public_endpoint,
            )
        return _Secret(value)

    # Identity ----------------------------------------------------------------
    @property
    def model(self) -> str:
        """The server's model name."""
        return self._model

    @property
    def dim(self) -> int:
        """Vector dimension; sends one probe request if not given and not yet known."""
        if self._dim is None:
            self.embed([_PROBE_TEXT])
        assert self._dim is not None  # set by the first successful response
        return self._dim

    @property
    def name(self) -> str:
        """``"openai-compatible:{model}:{dim}"`` (may probe the dimension, see :attr:`dim`)."""
        return f"openai-compatible:{self._model}:{self.dim}"

    def __repr__(self) -> str:
        return (
            f"OpenAICompatibleEmbedder(model={self._model!r}, "
            f"url={self._public_endpoint!r}, dim={self._dim}, batch_size={self._batch_size})"
        )

    # Resources ---------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP connection pool; a later :meth:`embed` opens a new one."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __enter__(self) -> OpenAICompatibleEmbedder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                httpx_module = _import_httpx()
                headers = {"Accept": "application/json"}
                if self._key is not None:
                    headers["Authorization"] = f"Bearer {self._key.reveal()}"
                self._client = httpx_module.Client(
                    timeout=httpx_module.Timeout(self._timeout), headers=headers
                )
            return self._client

    # Embedding ---------------------------------------------------------------
    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed ``texts`` in batches; a (len(texts), dim) float32 array of unit rows.

        Raises:
            ValidationError: ``texts`` is not a sequence of str.
            EmbeddingError: a request failed after its retries, or a response was
                malformed (not JSON, wrong count, wrong dimension, non-finite values).
        """
        items = check_texts(texts)
        wanted = [i for i, text in enumerate(items) if text.strip()]
        rows: list[npt.NDArray[np.float64]] = []
        for start in range(0, len(wanted), self._batch_size):
            batch = [items[i] for i in wanted[start : start + self._batch_size]]
            rows.extend(self._embed_batch(batch))
        dim = self._dim if self._dim is not None else self.dim
        out = np.zeros((len(items), dim), dtype=np.float32)
        if wanted:
            source = f"POST {self._public_endpoint}"
            out[wanted] = unit_rows(np.stack(rows), count=len(wanted), dim=dim, source=source)
        return out

    def _embed_batch(self, batch: list[str]) -> list[npt.NDArray[np.float64]]:
        body = {"model": self._model, "input": batch, "encoding_format": "float"}
        response = self._post(body)
        return self._parse(response, len(batch))

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        httpx_module = _import_httpx()
        client = self._http()
        attempts = self._max_retries + 1
        for attempt in range(attempts):
            cause: Exception | None = None
            try:
                response = client.post(self._endpoint, json=body)
            except httpx_module.TimeoutException as exc:
                problem = f"timed out (timeout {self._timeout:g} s): {type(exc).__name__}"
                status, delay, cause = None, None, exc
            except httpx_module.TransportError as exc:
                problem = f"could not be sent: {type(exc).__name__}: {exc}"
                status, delay, cause = None, None, exc
            else:
                if response.status_code < 400:
                    return response
                status = response.status_code
                problem = f"HTTP {status}{self._detail(response)}"
                if status < 500 and status not in _RETRY_STATUSES:
                    raise EmbeddingError(
                        f"POST {self._public_endpoint} failed: {problem}",
                        url=self._public_endpoint,
                        status=status,
                    )
                delay = _retry_after(response.headers.get("Retry-After"))
            if attempt + 1 == attempts:
                raise EmbeddingError(
                    f"POST {self._public_endpoint} failed after {attempts} attempts: {problem}",
                    url=self._public_endpoint,
                    status=status,
                ) from cause
            wait = self._delay(attempt, delay)
            _log.warning(
                "POST %s %s; retry %d of %d in %.2f s",
                self._public_endpoint,
                problem,
                attempt + 1,
                self._max_retries,
                wait,
            )
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self._max_backoff)
        # Jitter spreads out clients that failed together so they do not retry together.
        base = self._backoff * 2.0**attempt
        return min(base * (0.5 + random.random() / 2), self._max_backoff)

    def _detail(self, response: httpx.Response) -> str:
        """A short, key-free excerpt of the server's error message."""
        try:
            payload = response.json()
            message = payload["error"]["message"] if isinstance(payload, dict) else None
            text = str(message) if message else response.text
        except (ValueError, KeyError, TypeError):
            text = response.text
        text = " ".join(text.split())[:_DETAIL_CHARS]
        if self._key is not None:
            text = text.replace(self._key.reveal(), "<secret>")
        return f": {text}" if text else ""

    def _parse(self, response: httpx.Response, count: int) -> list[npt.NDArray[np.float64]]:
        where = f"POST {self._public_endpoint} (HTTP {response.status_code})"

        def bad(problem: str) -> EmbeddingError:
            return EmbeddingError(
                f"{where} returned {problem}",
                url=self._public_endpoint,
                status=response.status_code,
            )

        try:
            payload = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise bad("a body that is not JSON") from None
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise bad("no 'data' list")
        if len(data) != count:
            raise bad(f"{len(data)} embeddings for {count} inputs")
        rows: list[npt.NDArray[np.float64] | None] = [None] * count
        for position, item in enumerate(data):
            if not isinstance(item, dict) or not isinstance(item.get("embedding"), list):
                raise bad(f"an item without an 'embedding' list at position {position}")
            index = item.get("index", position)
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
                raise bad(f"an invalid index {index!r} at position {position}")
            if rows[index] is not None:
                raise bad(f"index {index} twice")
            try:
                row = np.asarray(item["embedding"], dtype=np.float64)
            except (TypeError, ValueError):
                raise bad(f"non-numeric values in embedding {index}") from None
            if row.ndim != 1 or row.size == 0:
                raise bad(f"embedding {index} that is not a flat list of numbers")
            if not np.isfinite(row).all():
                raise bad(f"non-finite values (NaN or infinity) in embedding {index}")
            self._check_dim(row.size, bad)
            rows[index] = row
        return [row for row in rows if row is not None]

    def _check_dim(self, size: int, bad: Callable[[str], EmbeddingError]) -> None:
        with self._lock:
            if self._dim is None:
                self._dim = size
                return
        if size != self._dim:
            raise bad(f"an embedding of dimension {size}, expected {self._dim}")
