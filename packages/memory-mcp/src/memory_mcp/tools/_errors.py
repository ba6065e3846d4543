"""Turning failures into MCP error results at the tool boundary.

Anticipated failures (bad input, unknown ids, wrong state, a full queue, an
unavailable namespace or store) become :class:`ToolError` with the library's own
message, which names the field and the limit. Anything else propagates: the SDK
logs its traceback server-side and returns only ``Error executing tool <name>``.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError

from memory_core.errors import (
    BackpressureError,
    EpisodeStateError,
    MemoryCoreError,
    NotFoundError,
    StorageError,
    ValidationError,
)

from ..errors import NamespaceBusyError

__all__ = ["resource_errors", "tool_errors"]

logger = logging.getLogger("memory_mcp")

# First match wins. StorageError comes first: a stored record that cannot be decoded
# (codec.RecordDecodeError) is both a StorageError and a ValidationError, and it is the
# store's fault, not the caller's argument.
_PREFIXES: tuple[tuple[type[Exception], str], ...] = (
    (StorageError, "storage error"),
    (ValidationError, "invalid argument"),
    (NotFoundError, "not found"),
    (EpisodeStateError, "wrong episode state"),
    (BackpressureError, "busy"),
    (NamespaceBusyError, "busy"),
)


def _describe(exc: Exception) -> str | None:
    for kind, prefix in _PREFIXES:
        if isinstance(exc, kind):
            if isinstance(exc, StorageError):
                logger.warning("storage error: %s", exc)
            return f"{prefix}: {exc}"
    return None


@contextmanager
def tool_errors() -> Iterator[None]:
    """Re-raise anticipated memory errors as :class:`ToolError` (an MCP error result)."""
    try:
        yield
    except (MemoryCoreError, NamespaceBusyError) as exc:
        message = _describe(exc)
        if message is None:
            raise
        raise ToolError(message) from None


@contextmanager
def resource_errors() -> Iterator[None]:
    """The same for resources: unknown ids are "not found", other failures resource errors."""
    try:
        yield
    except NotFoundError as exc:
        raise ResourceNotFoundError(f"not found: {exc}") from None
    except (MemoryCoreError, NamespaceBusyError) as exc:
        message = _describe(exc)
        if message is None:
            raise
        raise ResourceError(message) from None
