"""The MCP tools of the memory server, built for ``MCPServer(tools=...)``."""

from mcp.server.mcpserver.tools import Tool

from ..namespaces import MemoryPool
from ._registry import ToolSet
from .episodes import register_episode_tools
from .patterns import register_pattern_tools
from .status import register_status_tools

__all__ = ["TOOL_NAMES", "build_tools"]

#: Every tool the server offers (SPEC §6).
TOOL_NAMES = (
    "start_episode",
    "log_step",
    "complete_episode",
    "query_memory",
    "analyze_patterns",
    "recommend_patterns",
    "get_episode",
    "list_episodes",
    "delete_episode",
    "get_heuristics",
    "record_pattern_feedback",
    "health_check",
    "get_stats",
)


def build_tools(pool: MemoryPool, version: str) -> list[Tool]:
    """Every tool, for ``MCPServer(tools=...)``; each leases its memory from ``pool``."""
    tools = ToolSet()
    register_episode_tools(tools, pool)
    register_pattern_tools(tools, pool)
    register_status_tools(tools, pool, version)
    return tools.tools
