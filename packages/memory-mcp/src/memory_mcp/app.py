"""Assembling the MCP server: tools and resources over a namespace pool.

The server's lifespan opens the :class:`MemoryPool` and, on the way out,
closes every open memory, which drains background learning first.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer

from ._version import __version__
from .namespaces import MemoryOpener, MemoryPool
from .resources import register_resources
from .settings import Settings, open_memory
from .tools import build_tools

__all__ = ["SERVER_NAME", "build_server"]

SERVER_NAME = "self-learning-memory"

_INSTRUCTIONS = """\
Episodic memory for agents. Before a task call query_memory (similar past episodes)
and recommend_patterns (approaches that worked); while working call start_episode,
then log_step for each tool use, then complete_episode with the outcome. The memory
scores, reflects on and learns patterns from completed episodes. Pass the same
optional `namespace` on every call to keep one agent's or user's memory separate."""


def build_server(
    settings: Settings, *, opener: MemoryOpener = open_memory
) -> tuple[MCPServer[MemoryPool], MemoryPool]:
    """A ready-to-run MCP server on ``settings`` and the pool its tools draw from.

    ``opener`` opens one namespace's memory (tests may pass one on in-memory storage).
    """
    pool = MemoryPool(settings, opener=opener)

    @asynccontextmanager
    async def lifespan(_: MCPServer[MemoryPool]) -> AsyncIterator[MemoryPool]:
        async with pool:
            yield pool

    server: MCPServer[MemoryPool] = MCPServer(
        SERVER_NAME,
        version=__version__,
        instructions=_INSTRUCTIONS,
        lifespan=lifespan,
        log_level="WARNING",
        tools=build_tools(pool, __version__),
    )
    untyped: MCPServer[Any] = server
    register_resources(untyped, pool)
    return server, pool
