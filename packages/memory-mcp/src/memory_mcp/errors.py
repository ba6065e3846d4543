"""The errors of memory_mcp (one base; each also inherits the closest builtin).

Errors of the memory itself stay :mod:`memory_core.errors`; tools turn both into
MCP error results at the boundary (see :mod:`memory_mcp.tools._errors`).
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "MemoryMcpError", "NamespaceBusyError", "TokensFileError"]


class MemoryMcpError(Exception):
    """Base of every error raised by memory_mcp itself."""


class ConfigurationError(MemoryMcpError, ValueError):
    """The server cannot start with these settings (e.g. HTTP on a public address without a
    token). Raised by :func:`memory_mcp.server.run_server` before anything listens."""


class TokensFileError(ConfigurationError):
    """The scoped tokens file cannot be read or is malformed, or an edit of it is invalid
    (a duplicate or unknown token name, an unknown scope). Raised by :mod:`memory_mcp.tokens`;
    the server raises it before listening."""


class NamespaceBusyError(MemoryMcpError, RuntimeError):
    """Every open namespace is in use and the bound on open namespaces is reached.

    Raised by :meth:`memory_mcp.namespaces.MemoryPool.lease`; retrying later succeeds.
    """
