"""The scoped tokens file: who may call the HTTP transport, with which scopes, where.

The file (``--tokens-file`` / ``MEMORY_MCP_TOKENS_FILE``) is JSON and never holds a
token in clear, only its SHA-256::

    {
      "version": 1,
      "tokens": [
        {"name": "ci-agent", "sha256": "<64 hex digits>", "scopes": ["write"],
         "namespaces": ["team-a"], "created_at": "2026-11-24T09:00:00+00:00"}
      ]
    }

``scopes`` are ``read``, ``write``, ``admin`` (each includes the previous ones, see
:mod:`memory_mcp.access`); ``namespaces`` lists namespace names or is ``["*"]`` for
every namespace. Tokens are 256-bit random strings (:func:`generate_token`), so a
plain SHA-256 cannot be reversed or guessed; no salt is needed. :func:`issue_token`
and :func:`revoke_token` rewrite the file atomically with mode ``0600`` (they are
what ``memory token create`` / ``revoke`` run). Concurrent edits of one file are
not serialized: the last writer wins.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import msgspec

from .access import ALL_NAMESPACES, SCOPES, Principal, Scope, parse_scope
from .errors import TokensFileError
from .settings import NAMESPACE_PATTERN

__all__ = [
    "RESERVED_NAMES",
    "TOKENS_FILE_VERSION",
    "TokenRecord",
    "TokensDocument",
    "generate_token",
    "hash_token",
    "issue_token",
    "load_tokens",
    "revoke_token",
    "save_tokens",
]

TOKENS_FILE_VERSION: Final = 1
#: Principal names the server gives itself (the ``MEMORY_MCP_TOKEN`` and no-auth callers).
RESERVED_NAMES: Final = frozenset({"static-token", "anonymous"})
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
_NAMESPACE_RE = re.compile(NAMESPACE_PATTERN)


class TokenRecord(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One entry of the tokens file.

    Attributes:
        name: unique name of the token's holder; audit records show it.
        sha256: hex SHA-256 of the token (the token itself is never stored).
        scopes: granted scopes (``read``, ``write``, ``admin``).
        namespaces: namespaces the token may touch, or ``["*"]`` for all.
        created_at: when the token was issued (ISO 8601), informational.
    """

    name: str
    sha256: str
    scopes: list[Scope]
    namespaces: list[str]
    created_at: str | None = None

    def principal(self) -> Principal:
        """The principal a request presenting this token acts as."""
        return Principal.create(self.name, self.scopes, self.namespaces)


class TokensDocument(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The whole tokens file."""

    version: int = TOKENS_FILE_VERSION
    tokens: list[TokenRecord] = msgspec.field(default_factory=list)


def generate_token() -> str:
    """A new random token: 32 bytes from :mod:`secrets`, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The hex SHA-256 of ``token`` as the tokens file stores it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _validate(records: Sequence[TokenRecord], where: str) -> None:
    names: set[str] = set()
    hashes: set[str] = set()
    for index, record in enumerate(records):
        label = f"{where}: tokens[{index}]"
        if not _NAME_RE.fullmatch(record.name):
            raise TokensFileError(
                f"{label}: name {record.name[:70]!r} must be 1-64 characters of letters, "
                "digits, '_', '.' or '-' (starting with a letter or digit)"
            )
        if record.name in RESERVED_NAMES:
            raise TokensFileError(f"{label}: name {record.name!r} is reserved")
        if record.name in names:
            raise TokensFileError(f"{label}: name {record.name!r} appears twice")
        if not _HASH_RE.fullmatch(record.sha256):
            raise TokensFileError(f"{label}: sha256 must be 64 lowercase hex digits")
        if record.sha256 in hashes:
            raise TokensFileError(f"{label}: the same token is listed twice")
        if not record.scopes:
            raise TokensFileError(f"{label}: scopes must not be empty")
        if not record.namespaces:
            raise TokensFileError(f"{label}: namespaces must not be empty (use ['*'] for all)")
        for namespace in record.namespaces:
            if namespace != ALL_NAMESPACES and not _NAMESPACE_RE.fullmatch(namespace):
                raise TokensFileError(
                    f"{label}: namespace {namespace[:70]!r} must be '*' or 1-64 characters "
                    "of a-z, 0-9, '_' or '-'"
                )
        names.add(record.name)
        hashes.add(record.sha256)


def load_tokens(path: Path, *, missing_ok: bool = False) -> list[TokenRecord]:
    """The validated entries of the tokens file at ``path``.

    A file that does not exist is :class:`TokensFileError` unless ``missing_ok`` (then
    there are no entries); so is one that is not valid JSON of the documented shape.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if missing_ok:
            return []
        raise TokensFileError(
            f"tokens file {path}: does not exist (create it with 'memory token create')"
        ) from None
    except OSError as exc:
        raise TokensFileError(f"tokens file {path}: cannot be read ({exc.strerror})") from None
    try:
        document = msgspec.json.decode(raw, type=TokensDocument)
    except msgspec.DecodeError as exc:
        # msgspec names the path of the bad field; the values are hashes and names only.
        raise TokensFileError(f"tokens file {path}: {exc}") from None
    if document.version != TOKENS_FILE_VERSION:
        raise TokensFileError(
            f"tokens file {path}: version {document.version} is not supported "
            f"(expected {TOKENS_FILE_VERSION})"
        )
    _validate(document.tokens, f"tokens file {path}")
    return list(document.tokens)


def save_tokens(path: Path, records: Sequence[TokenRecord]) -> None:
    """Replace the tokens file at ``path`` with ``records``, atomically, mode ``0600``.

    The new content is written to a private temporary file beside ``path``, flushed
    to disk and renamed over it, so a reader sees the old or the new file, never a mix.
    """
    _validate(records, f"tokens file {path}")
    body = msgspec.json.format(msgspec.json.encode(TokensDocument(tokens=list(records))), indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600 on POSIX.
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(body + b"\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(NotImplementedError, OSError):  # no POSIX modes on Windows
            os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def issue_token(
    path: Path, name: str, scopes: Iterable[str], namespaces: Iterable[str]
) -> tuple[str, TokenRecord]:
    """Create a token named ``name`` in the tokens file (created if missing).

    Returns the token in clear — the only time it exists outside the caller's
    hands — and the stored entry. :class:`TokensFileError` for a duplicate name, an
    unknown scope or an invalid namespace.
    """
    try:
        parsed = sorted({parse_scope(scope) for scope in scopes}, key=SCOPES.index)
    except ValueError as exc:
        raise TokensFileError(str(exc)) from None
    records = load_tokens(path, missing_ok=True)
    if any(record.name == name for record in records):
        raise TokensFileError(f"tokens file {path}: a token named {name!r} exists already")
    token = generate_token()
    record = TokenRecord(
        name=name,
        sha256=hash_token(token),
        scopes=parsed,
        namespaces=sorted(set(namespaces)),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    save_tokens(path, [*records, record])
    return token, record


def revoke_token(path: Path, name: str) -> TokenRecord:
    """Remove the token named ``name`` from the tokens file; returns the removed entry."""
    records = load_tokens(path)
    kept = [record for record in records if record.name != name]
    if len(kept) == len(records):
        raise TokensFileError(f"tokens file {path}: no token named {name!r}")
    save_tokens(path, kept)
    (removed,) = (record for record in records if record.name == name)
    return removed
