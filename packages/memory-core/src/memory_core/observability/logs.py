"""Structured logging on the standard :mod:`logging` module.

Each package logs through its own logger (``memory_core``, ``memory_storage_turso``,
``memory_storage_redb``, ``memory_mcp``, and their children). :class:`ContextFilter`
stamps every record with ``episode_id``, ``namespace`` and ``operation`` from the
running code's context; :class:`SecretScrubFilter` removes secrets from the
formatted message; :class:`JsonFormatter` prints one JSON object per line.
:func:`configure_logging` installs all three on a stderr handler, which is what
the server and the CLI call.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any, Literal

from ._context import CONTEXT_FIELDS, current_context
from ._secrets import scrub_secrets

__all__ = [
    "LOGGERS",
    "ContextFilter",
    "JsonFormatter",
    "LogFormat",
    "SecretScrubFilter",
    "configure_logging",
]

#: The top-level logger of each package of the project.
LOGGERS = ("memory_core", "memory_storage_turso", "memory_storage_redb", "memory_mcp")

LogFormat = Literal["text", "json"]

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
_TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s%(context)s"


class ContextFilter(logging.Filter):
    """Adds ``episode_id``, ``namespace`` and ``operation`` to records that lack them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current_context().items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


class SecretScrubFilter(logging.Filter):
    """Formats the message now and removes registered secrets and credential shapes.

    Tracebacks are scrubbed by :class:`JsonFormatter` / the text formatter this
    module installs, since they are rendered later.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub_secrets(message)
        if scrubbed != message or record.args:
            record.msg = scrubbed
            record.args = None
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, key, scrub_secrets(value))
        return True


class _ScrubbingTextFormatter(logging.Formatter):
    """``time logger LEVEL message [operation=... episode_id=... namespace=...]``."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(
            f"{name}={value}"
            for name in ("operation", "episode_id", "namespace")
            if (value := getattr(record, name, None)) is not None
        )
        record.context = f" [{fields}]" if fields else ""
        # The whole line: another handler may have cached an unscrubbed traceback on the record.
        return scrub_secrets(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, context and extras.

    Keys: ``ts`` (ISO 8601, UTC), ``level``, ``logger``, ``message``,
    ``episode_id``, ``namespace``, ``operation`` (``null`` when unknown), every
    ``extra=`` field, and ``exception`` (the scrubbed traceback) when present.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub_secrets(record.getMessage()),
        }
        for name in CONTEXT_FIELDS:
            entry[name] = getattr(record, name, None)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry and key != "context":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = scrub_secrets(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(
    level: int | str = logging.WARNING,
    *,
    fmt: LogFormat = "text",
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Send every package's logs to ``stream`` (stderr) as text lines or JSON lines.

    Installs one handler on the root logger with :class:`ContextFilter` and
    :class:`SecretScrubFilter`, replacing handlers an earlier call installed.
    Returns the handler.
    """
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be 'text' or 'json', got {fmt!r}")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name("memory_core.observability")
    handler.addFilter(ContextFilter())
    handler.addFilter(SecretScrubFilter())
    formatter = JsonFormatter() if fmt == "json" else _ScrubbingTextFormatter(_TEXT_FORMAT)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == handler.get_name():
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
