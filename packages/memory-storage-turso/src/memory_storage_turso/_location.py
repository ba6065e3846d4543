"""Where the database lives: URL forms, the default file, credentials and redaction.

Accepted forms: ``None`` (``MEMORY_DB_URL``, else the default file in the user's
data directory), a path or ``os.PathLike``, a ``file:`` URL, ``:memory:``, and
``http(s)://`` / ``libsql://`` (``libsql://`` means HTTPS unless ``?tls=0``).
The token comes from the argument, else a Turso-style ``?authToken=`` in the URL,
else ``MEMORY_AUTH_TOKEN``. Nothing here ever puts the token into a string that
could be printed.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import platformdirs

from memory_core.errors import ValidationError
from memory_core.observability import register_secret

__all__ = [
    "DB_URL_ENV",
    "TOKEN_ENV",
    "Location",
    "default_database_path",
    "redact",
    "resolve_location",
]

#: Environment variable naming the database when ``TursoStorage(url=None)``.
DB_URL_ENV = "MEMORY_DB_URL"
#: Environment variable holding the auth token for remote URLs.
TOKEN_ENV = "MEMORY_AUTH_TOKEN"

_APP_NAME = "self-learning-memory"
_DEFAULT_FILE = "memory.db"
_REMOTE_SCHEMES = {"http", "https", "libsql"}


def default_database_path() -> Path:
    """The embedded file used when no URL is given.

    ``<user data dir>/self-learning-memory/memory.db``, e.g.
    ``~/.local/share/self-learning-memory/memory.db`` on Linux.
    """
    return platformdirs.user_data_path(_APP_NAME, appauthor=False) / _DEFAULT_FILE


@dataclass(frozen=True)
class Location:
    """A resolved database location.

    ``kind`` is ``"file"``, ``"memory"`` or ``"remote"``; ``target`` is the file path
    (``":memory:"`` for memory) or the HTTP base URL without credentials; ``display``
    is what messages and ``repr`` show. The token is kept out of ``repr``.
    """

    kind: Literal["file", "memory", "remote"]
    target: str
    display: str
    auth_token: str | None = field(default=None, repr=False)


def _file_location(path: str | os.PathLike[str]) -> Location:
    resolved = Path(path).expanduser()
    return Location("file", str(resolved), str(resolved))


def _file_url_location(url: str) -> Location:
    parsed = urllib.parse.urlsplit(url)
    if parsed.query or parsed.fragment:
        raise ValidationError(
            f"file: URLs take no query or fragment, got {url!r}; pass options as arguments",
            field="url",
        )
    if parsed.netloc not in ("", "localhost"):
        raise ValidationError(f"file: URL must name a local path, got host {parsed.netloc!r}")
    path = urllib.parse.unquote(parsed.path)
    if not path:
        raise ValidationError(f"file: URL names no path: {url!r}", field="url")
    if path == ":memory:":
        return Location("memory", ":memory:", ":memory:")
    return _file_location(path)


def _remote_location(url: str, auth_token: str | None) -> Location:
    parsed = urllib.parse.urlsplit(url)
    if parsed.username is not None or parsed.password is not None:
        raise ValidationError(
            "credentials in the URL are not accepted; pass auth_token= or set MEMORY_AUTH_TOKEN",
            field="url",
        )
    if not parsed.hostname:
        raise ValidationError(f"remote URL names no host: {parsed.scheme}://…", field="url")
    query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
    url_token = query.pop("authToken", [None])[0]
    tls = query.pop("tls", ["1"])[0]
    if query:
        raise ValidationError(
            f"unknown URL parameters {sorted(query)}; supported: authToken, tls", field="url"
        )
    if tls not in ("0", "1"):
        raise ValidationError(f"tls must be 0 or 1, got {tls!r}", field="url")
    scheme = parsed.scheme
    if scheme == "libsql":
        scheme = "http" if tls == "0" else "https"
    base = urllib.parse.urlunsplit((scheme, parsed.netloc, parsed.path.rstrip("/"), "", ""))
    token = auth_token or url_token or os.environ.get(TOKEN_ENV) or None
    register_secret(token)  # the logging filter scrubs it should it ever be formatted
    return Location("remote", base, base, token)


def resolve_location(url: str | os.PathLike[str] | None, auth_token: str | None = None) -> Location:
    """Parse ``url`` (see the module docstring) into a :class:`Location`.

    Raises :class:`memory_core.errors.ValidationError` for an unsupported scheme,
    credentials embedded in the URL or unknown URL parameters.
    """
    if url is None:
        url = os.environ.get(DB_URL_ENV) or default_database_path()
    if not isinstance(url, str):
        return _file_location(url)
    if url == ":memory:":
        return Location("memory", ":memory:", ":memory:")
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    # A one-letter "scheme" is a Windows drive (C:\data\memory.db), not a URL.
    if not scheme or len(scheme) == 1:
        return _file_location(url)
    if scheme == "file":
        return _file_url_location(url)
    if scheme in _REMOTE_SCHEMES:
        return _remote_location(url, auth_token)
    raise ValidationError(
        f"unsupported database URL scheme {scheme!r}: use a path, file:, :memory:, "
        "http(s):// or libsql://",
        field="url",
    )


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced (defence in depth for messages)."""
    if not secret:
        return text
    return text.replace(secret, "[redacted]")
