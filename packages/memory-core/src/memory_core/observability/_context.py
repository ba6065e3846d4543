"""Who and what a log record or span is about: episode id, namespace, operation.

The values live in context variables, so they follow the code through ``await``
and into tasks started from the current one (anyio copies the context when it
starts a task), and concurrent calls never see each other's values.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["CONTEXT_FIELDS", "current_context", "log_context"]

#: Attribute names every log record carries (``None`` when unknown).
CONTEXT_FIELDS = ("episode_id", "namespace", "operation")

_VARS: dict[str, contextvars.ContextVar[str | None]] = {
    name: contextvars.ContextVar(f"memory_core.{name}", default=None) for name in CONTEXT_FIELDS
}


def current_context() -> dict[str, str | None]:
    """The context fields of the running code, ``None`` for the ones not set."""
    return {name: var.get() for name, var in _VARS.items()}


def set_field(name: str, value: str | uuid.UUID | None) -> contextvars.Token[str | None]:
    """Set one field for the rest of the current context; returns the reset token."""
    return _VARS[name].set(None if value is None else str(value))


def reset_field(name: str, token: contextvars.Token[str | None]) -> None:
    """Undo :func:`set_field`."""
    _VARS[name].reset(token)


@contextmanager
def log_context(
    *,
    episode_id: str | uuid.UUID | None = None,
    namespace: str | None = None,
    operation: str | None = None,
) -> Iterator[None]:
    """Attach these fields to every log record and span made inside the block.

    Only the fields passed (not ``None``) are set; the others keep their
    surrounding values. Example: the MCP server wraps each namespace's memory in
    ``log_context(namespace=name)``, so its background learning logs carry it too.
    """
    given = {"episode_id": episode_id, "namespace": namespace, "operation": operation}
    tokens = [(name, set_field(name, value)) for name, value in given.items() if value is not None]
    try:
        yield
    finally:
        for name, token in reversed(tokens):
            reset_field(name, token)
