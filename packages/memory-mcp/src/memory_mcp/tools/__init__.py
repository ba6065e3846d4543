"""The MCP tools of the memory server, built for ``MCPServer(tools=...)``."""

from collections.abc import Mapping
from types import MappingProxyType

from mcp.server.mcpserver.tools import Tool

from ..access import Scope
from ..namespaces import MemoryPool
from ._registry import ToolSet
from .episodes import register_episode_tools
from .patterns import register_pattern_tools
from .status import register_status_tools

__all__ = ["TOOL_NAMES", "TOOL_SCOPES", "build_tools"]

#: The scope each tool needs over HTTP (see :mod:`memory_mcp.access`): the one place a
#: tool is classified (a test fails for a tool missing here; over HTTP such a tool needs
#: ``admin``). Reading is ``read``, recording ``write``; destroying or bulk administration
#: (delete, and any future import / sync / backup tool) is ``admin``.
TOOL_SCOPES: Mapping[str, Scope] = MappingProxyType(
    {
        "start_episode": "write",
        "log_step": "write",
        "complete_episode": "write",
        "query_memory": "read",
        "analyze_patterns": "read",
        "recommend_patterns": "read",
        "get_episode": "read",
        "list_episodes": "read",
        "delete_episode": "admin",
        "get_heuristics": "read",
        "record_pattern_feedback": "write",
        "health_check": "read",
        "get_stats": "read",
    }
)

#: Every tool the server offers (SPEC §6).
TOOL_NAMES = tuple(TOOL_SCOPES)


def build_tools(pool: MemoryPool, version: str) -> list[Tool]:
    """Every tool, for ``MCPServer(tools=...)``; each leases its memory from ``pool``."""
    tools = ToolSet()
    register_episode_tools(tools, pool)
    register_pattern_tools(tools, pool)
    register_status_tools(tools, pool, version)
    return tools.tools
