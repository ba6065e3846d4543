"""MCP resources: episodes and patterns, per namespace, as JSON.

- ``memory://episodes`` and ``memory://patterns``: recent episodes / learned
  patterns of the default namespace;
- ``memory://{namespace}/episodes``, ``memory://{namespace}/patterns``: the same
  for a namespace;
- ``memory://{namespace}/episodes/{episode_id}``,
  ``memory://{namespace}/patterns/{pattern_id}``: one full record.

Unknown ids (including ids from another namespace) are "not found".
"""

import uuid
from typing import Any

import msgspec
from mcp.server.mcpserver import MCPServer

from memory_core.errors import NotFoundError, ValidationError

from .namespaces import MemoryPool
from .tools._errors import resource_errors
from .tools._results import pattern_view, record, summarize

__all__ = ["LISTING_LIMIT", "register_resources"]

#: How many episodes / patterns a listing resource returns.
LISTING_LIMIT = 100
_JSON = "application/json"


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError(f"{field}: must be a UUID, got {value[:64]!r}", field=field) from None


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def register_resources(server: MCPServer[Any], pool: MemoryPool) -> None:
    """Add the episode and pattern resources to ``server``."""

    async def episodes_of(namespace: str | None) -> str:
        with resource_errors():
            async with pool.lease(namespace) as memory:
                episodes = await memory.list_episodes(limit=LISTING_LIMIT)
            return _json([summarize(e).model_dump() for e in episodes])

    async def patterns_of(namespace: str | None) -> str:
        with resource_errors():
            async with pool.lease(namespace) as memory:
                patterns = await memory.list_patterns()
            return _json([pattern_view(p).model_dump() for p in patterns[:LISTING_LIMIT]])

    @server.resource("memory://episodes", name="episodes", mime_type=_JSON)
    async def default_episodes() -> str:
        """The 100 most recent episodes of the default namespace (summaries)."""
        return await episodes_of(None)

    @server.resource("memory://patterns", name="patterns", mime_type=_JSON)
    async def default_patterns() -> str:
        """Learned patterns of the default namespace (up to 100)."""
        return await patterns_of(None)

    @server.resource("memory://{namespace}/episodes", name="namespace-episodes", mime_type=_JSON)
    async def namespace_episodes(namespace: str) -> str:
        """The 100 most recent episodes of a namespace (summaries)."""
        return await episodes_of(namespace)

    @server.resource("memory://{namespace}/patterns", name="namespace-patterns", mime_type=_JSON)
    async def namespace_patterns(namespace: str) -> str:
        """Learned patterns of a namespace (up to 100)."""
        return await patterns_of(namespace)

    @server.resource("memory://{namespace}/episodes/{episode_id}", name="episode", mime_type=_JSON)
    async def episode(namespace: str, episode_id: str) -> str:
        """One episode's full record."""
        with resource_errors():
            async with pool.lease(namespace) as memory:
                found = await memory.get_episode(_uuid(episode_id, "episode_id"))
            return _json(record(found))

    @server.resource("memory://{namespace}/patterns/{pattern_id}", name="pattern", mime_type=_JSON)
    async def pattern(namespace: str, pattern_id: str) -> str:
        """One learned pattern's full record."""
        with resource_errors():
            wanted = _uuid(pattern_id, "pattern_id")
            async with pool.lease(namespace) as memory:
                found = await memory.storage.get_pattern(wanted)
            if found is None:
                raise NotFoundError(f"pattern {wanted} does not exist")
            return _json(pattern_view(found).model_dump())
