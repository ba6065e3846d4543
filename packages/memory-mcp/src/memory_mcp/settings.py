"""Server settings from the environment plus explicit overrides, and opening a memory on them.

``Settings.from_env(**overrides)`` reads the variables below; an override that is
not ``None`` wins over the environment. ``open_memory(settings, namespace)`` is an
async context manager yielding a ready :class:`memory_core.SelfLearningMemory` on
the configured storage; leaving it drains background learning and closes storage.

=========================== ==================================================
``MEMORY_DB_URL``           database URL or path (default: embedded file in
                            ``data_dir``); may contain ``{namespace}``
``MEMORY_AUTH_TOKEN``       token for a remote sqld / Turso database
``MEMORY_CACHE_PATH``       redb cache file, or ``off`` to disable the cache
``MEMORY_DATA_DIR``         data directory (default: the user data directory)
``MEMORY_NAMESPACE``        namespace used when a call names none
``MEMORY_MCP_TRANSPORT``    ``stdio`` (default) or ``http``
``MEMORY_MCP_HOST``         HTTP bind address (default ``127.0.0.1``)
``MEMORY_MCP_PORT``         HTTP port (default 8765)
``MEMORY_MCP_TOKEN``        bearer token HTTP clients must send
``MEMORY_MCP_TOKEN_FILE``   file holding that token (first line)
``MEMORY_MCP_TOKENS_FILE``  scoped tokens file (see :mod:`memory_mcp.tokens`)
``MEMORY_MCP_ALLOW_UNAUTHENTICATED`` ``1`` to serve HTTP on loopback without a token
``MEMORY_LEARN_SYNCHRONOUSLY`` ``1`` to learn patterns before ``complete_episode`` returns
``MEMORY_MAX_OPEN_NAMESPACES`` bound on namespaces open at once (default 16)
``MEMORY_MCP_REDACT_SECRETS`` ``0`` to store secrets verbatim (default ``1``: redacted)
=========================== ==================================================
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import msgspec
import platformdirs

from memory_core import MemoryConfig, RedactionConfig, SelfLearningMemory
from memory_core.errors import ValidationError
from memory_core.storage import StorageBackend, TieredStorage

__all__ = [
    "DEFAULT_NAMESPACE",
    "LOG_FORMAT_ENV",
    "NAMESPACE_PATTERN",
    "Settings",
    "Transport",
    "is_loopback",
    "open_memory",
    "validate_namespace",
]

Transport = Literal["stdio", "http"]

#: Environment variable choosing the log format (``text`` or ``json``) of the server and CLI.
LOG_FORMAT_ENV = "MEMORY_MCP_LOG_FORMAT"
#: The namespace of calls that name none (stored at the top of ``data_dir``).
DEFAULT_NAMESPACE = "default"
#: What a namespace may look like (also the JSON-schema pattern of the argument).
NAMESPACE_PATTERN = r"^[a-z0-9_-]{1,64}$"
_NAMESPACE_RE = re.compile(NAMESPACE_PATTERN)
_APP_NAME = "self-learning-memory"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_CACHE_OFF = {"off", "none", "disabled", "0"}


def validate_namespace(value: object) -> str:
    """``value`` if it is a valid namespace name, else :class:`ValidationError`."""
    if not isinstance(value, str) or not _NAMESPACE_RE.fullmatch(value):
        shown = repr(value)[:80]
        raise ValidationError(
            f"namespace: must be 1-64 characters of a-z, 0-9, '_' or '-', got {shown}",
            field="namespace",
        )
    return value


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the server and :func:`open_memory` need; build with :meth:`from_env`.

    Attributes:
        data_dir: where default database, cache and namespace stores live.
        db_url: database URL or path; ``None`` means ``<data_dir>/memory.db``. A
            remote URL may contain ``{namespace}`` to give each namespace its own
            database; without it, only the default namespace is served.
        auth_token: token for a remote database (never shown by ``repr``).
        cache_path: redb cache file; ``None`` means ``<data_dir>/cache.redb``.
        cache_enabled: ``False`` runs on the durable store alone.
        default_namespace: namespace of calls that name none.
        max_open_namespaces: namespaces kept open at once (least recently used closes).
        learn_synchronously: learn before ``complete_episode`` returns.
        transport, host, port: how the server listens.
        http_token: bearer token HTTP clients must present (never shown by ``repr``); it
            grants every scope on every namespace.
        tokens_file: JSON file of scoped tokens (names, token hashes, scopes, namespaces;
            see :mod:`memory_mcp.tokens`), read by the HTTP transport.
        allow_unauthenticated: serve HTTP without a token (loopback hosts only).
        redact_secrets: replace API keys, tokens, passwords and private keys in
            everything stored (on by default; see :mod:`memory_core.redaction`).
    """

    data_dir: Path
    db_url: str | None = None
    auth_token: str | None = None
    cache_path: Path | None = None
    cache_enabled: bool = True
    default_namespace: str = DEFAULT_NAMESPACE
    max_open_namespaces: int = 16
    learn_synchronously: bool = False
    transport: Transport = "stdio"
    host: str = "127.0.0.1"
    port: int = 8765
    http_token: str | None = None
    tokens_file: Path | None = None
    allow_unauthenticated: bool = False
    redact_secrets: bool = True

    def __post_init__(self) -> None:
        validate_namespace(self.default_namespace)
        if self.transport not in ("stdio", "http"):
            raise ValidationError(
                f"transport: must be 'stdio' or 'http', got {self.transport!r}", field="transport"
            )
        if not 0 <= self.port <= 65535:
            raise ValidationError(f"port: must be in 0-65535, got {self.port}", field="port")
        if not 1 <= self.max_open_namespaces <= 1024:
            raise ValidationError(
                f"max_open_namespaces: must be in 1-1024, got {self.max_open_namespaces}",
                field="max_open_namespaces",
            )
        if self.http_token is not None and not self.http_token:
            raise ValidationError("http_token: must not be empty", field="http_token")

    def __repr__(self) -> str:
        shown = {
            name: ("[redacted]" if name in ("auth_token", "http_token") and value else value)
            for name in self.__struct_fields__
            for value in (getattr(self, name),)
        }
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        token_file: Path | None = None,
        **overrides: Any,
    ) -> Settings:
        """Settings from ``env`` (default ``os.environ``) with non-``None`` ``overrides`` on top.

        ``token_file`` (or ``MEMORY_MCP_TOKEN_FILE``) supplies ``http_token`` from the
        first line of a file when no token is given otherwise. Raises
        :class:`ValidationError` for malformed values.
        """
        source = os.environ if env is None else env
        values: dict[str, Any] = {}
        data_dir = source.get("MEMORY_DATA_DIR")
        values["data_dir"] = (
            Path(data_dir).expanduser()
            if data_dir
            else platformdirs.user_data_path(_APP_NAME, appauthor=False)
        )
        if url := source.get("MEMORY_DB_URL"):
            values["db_url"] = url
        if token := source.get("MEMORY_AUTH_TOKEN"):
            values["auth_token"] = token
        cache = source.get("MEMORY_CACHE_PATH")
        if cache is not None and cache.strip().lower() in _CACHE_OFF:
            values["cache_enabled"] = False
        elif cache:
            values["cache_path"] = Path(cache).expanduser()
        if namespace := source.get("MEMORY_NAMESPACE"):
            values["default_namespace"] = namespace
        if transport := source.get("MEMORY_MCP_TRANSPORT"):
            values["transport"] = transport
        if host := source.get("MEMORY_MCP_HOST"):
            values["host"] = host
        if port := source.get("MEMORY_MCP_PORT"):
            values["port"] = _parse_int("MEMORY_MCP_PORT", port)
        if limit := source.get("MEMORY_MAX_OPEN_NAMESPACES"):
            values["max_open_namespaces"] = _parse_int("MEMORY_MAX_OPEN_NAMESPACES", limit)
        if http_token := source.get("MEMORY_MCP_TOKEN"):
            values["http_token"] = http_token
        if tokens_file := source.get("MEMORY_MCP_TOKENS_FILE"):
            values["tokens_file"] = Path(tokens_file).expanduser()
        for name, variable in (
            ("allow_unauthenticated", "MEMORY_MCP_ALLOW_UNAUTHENTICATED"),
            ("learn_synchronously", "MEMORY_LEARN_SYNCHRONOUSLY"),
            ("redact_secrets", "MEMORY_MCP_REDACT_SECRETS"),
        ):
            if (raw := source.get(variable)) is not None:
                values[name] = _parse_bool(variable, raw)
        values.update({key: value for key, value in overrides.items() if value is not None})
        if isinstance(values.get("data_dir"), str):
            values["data_dir"] = Path(values["data_dir"]).expanduser()
        for path_field in ("cache_path", "tokens_file"):
            if isinstance(values.get(path_field), str):
                values[path_field] = Path(values[path_field]).expanduser()
        file_name = token_file or (
            Path(raw_file) if (raw_file := source.get("MEMORY_MCP_TOKEN_FILE")) else None
        )
        if values.get("http_token") is None and file_name is not None:
            values["http_token"] = _read_token_file(Path(file_name))
        unknown = set(values) - set(cls.__struct_fields__)
        if unknown:
            raise ValidationError(
                f"unknown settings {sorted(unknown)}; known: {sorted(cls.__struct_fields__)}",
                field="settings",
            )
        try:
            return msgspec.convert(values, cls, from_attributes=False, strict=False)
        except msgspec.ValidationError as exc:
            raise ValidationError(f"settings: {exc}", field="settings") from exc

    # Where a namespace's data lives ----------------------------------------
    def namespace_dir(self, namespace: str) -> Path:
        """Directory of a namespace's files: ``data_dir`` itself for the default namespace."""
        validate_namespace(namespace)
        if namespace == self.default_namespace:
            return self.data_dir
        return self.data_dir / "namespaces" / namespace

    def database_url(self, namespace: str) -> str:
        """The database URL or path of ``namespace``.

        Raises :class:`ValidationError` when a configured URL cannot hold more than
        one namespace (no ``{namespace}`` placeholder) and ``namespace`` is not the
        default one: mixing tenants in one database would break isolation.
        """
        validate_namespace(namespace)
        if self.db_url is None:
            return str(self.namespace_dir(namespace) / "memory.db")
        if "{namespace}" in self.db_url:
            return self.db_url.replace("{namespace}", namespace)
        if namespace != self.default_namespace:
            raise ValidationError(
                f"namespace: {namespace!r} is not available: the configured database URL has no "
                "'{namespace}' placeholder, so only the default namespace "
                f"{self.default_namespace!r} is served",
                field="namespace",
            )
        return self.db_url

    def cache_file(self, namespace: str) -> Path | None:
        """The redb cache file of ``namespace``, or ``None`` when the cache is disabled."""
        validate_namespace(namespace)
        if not self.cache_enabled:
            return None
        if namespace == self.default_namespace:
            return self.cache_path or self.data_dir / "cache.redb"
        base = self.cache_path.parent if self.cache_path else self.data_dir
        return base / "namespaces" / namespace / "cache.redb"

    def memory_config(self) -> MemoryConfig:
        """The :class:`MemoryConfig` every opened memory uses."""
        return MemoryConfig(
            learn_synchronously=self.learn_synchronously,
            redaction=RedactionConfig(enabled=self.redact_secrets),
        )


def _parse_int(variable: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValidationError(
            f"{variable}: must be an integer, got {raw[:40]!r}", field=variable
        ) from None


def _parse_bool(variable: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValidationError(
        f"{variable}: must be one of 1/0/true/false/yes/no/on/off, got {raw[:40]!r}",
        field=variable,
    )


def _read_token_file(path: Path) -> str:
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(
            f"token file {path}: cannot be read ({exc.strerror})", field="token_file"
        ) from None
    token = text.splitlines()[0].strip() if text.strip() else ""
    if not token:
        raise ValidationError(f"token file {path}: is empty", field="token_file")
    return token


def build_storage(settings: Settings, namespace: str) -> StorageBackend:
    """The (unopened) storage of ``namespace``: libSQL, with a redb cache unless disabled."""
    # Imported here: the storage packages are heavier than settings parsing needs.
    from memory_storage_redb import RedbCache
    from memory_storage_turso import TursoStorage

    url = settings.database_url(namespace)
    if settings.db_url is None:
        Path(url).parent.mkdir(parents=True, exist_ok=True)
    durable = TursoStorage(url, auth_token=settings.auth_token)
    cache_file = settings.cache_file(namespace)
    if cache_file is None:
        return durable
    return TieredStorage(durable, RedbCache(cache_file))


@asynccontextmanager
async def open_memory(
    settings: Settings, namespace: str | None = None
) -> AsyncIterator[SelfLearningMemory]:
    """A ready memory on ``namespace``'s storage (the default namespace when ``None``).

    Leaving the block drains background learning and closes the storage.
    """
    name = settings.default_namespace if namespace is None else validate_namespace(namespace)
    storage = build_storage(settings, name)
    async with SelfLearningMemory(settings.memory_config(), storage=storage) as memory:
        yield memory
