"""memory_mcp: the MCP server and command-line interface of the self-learning memory.

``memory-mcp`` serves the memory to any MCP client over stdio (default) or
streamable HTTP. Programmatic entry points: :func:`run_server` (what the
``memory-mcp`` command and ``memory serve`` run), :func:`build_server` (the
``MCPServer`` itself, e.g. for in-process tests), :func:`build_http_app` (the
authenticated ASGI app of the HTTP transport) and :func:`open_memory` (a memory on
the configured storage, for scripts and the CLI).
"""

from ._version import __version__ as __version__
from .app import build_server as build_server
from .errors import ConfigurationError as ConfigurationError
from .errors import MemoryMcpError as MemoryMcpError
from .errors import NamespaceBusyError as NamespaceBusyError
from .errors import TokensFileError as TokensFileError
from .http_app import build_http_app as build_http_app
from .namespaces import MemoryPool as MemoryPool
from .server import run_server as run_server
from .settings import Settings as Settings
from .settings import open_memory as open_memory

__all__ = [
    "ConfigurationError",
    "MemoryMcpError",
    "MemoryPool",
    "NamespaceBusyError",
    "Settings",
    "TokensFileError",
    "__version__",
    "build_http_app",
    "build_server",
    "open_memory",
    "run_server",
]
