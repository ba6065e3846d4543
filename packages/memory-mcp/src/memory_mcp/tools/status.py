"""Status tools: ``health_check`` (is the namespace's store answering) and ``get_stats``."""

from mcp_types import ToolAnnotations

from ..namespaces import MemoryPool
from ._arguments import Namespace
from ._errors import tool_errors
from ._registry import ToolSet
from ._results import HealthResult, StatsResult, record

__all__ = ["register_status_tools"]

_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def register_status_tools(tools: ToolSet, pool: MemoryPool, version: str) -> None:
    """Add the status tools to ``tools``, serving memories from ``pool``."""

    @tools.add(_READ_ONLY)
    async def health_check(namespace: Namespace = None) -> HealthResult:
        """Check that the server and the namespace's storage answer; returns counts and version."""
        with tool_errors():
            async with pool.lease(namespace) as memory:
                episodes = await memory.storage.count_episodes()
                storage = repr(memory.storage)
            return HealthResult(
                status="ok",
                version=version,
                namespace=pool.resolve(namespace),
                storage=storage,
                episodes=episodes,
                open_namespaces=pool.open_namespaces,
            )

    @tools.add(_READ_ONLY)
    async def get_stats(namespace: Namespace = None) -> StatsResult:
        """Counts of episodes, patterns and heuristics, per-operation latencies, learning queue."""
        with tool_errors():
            async with pool.lease(namespace) as memory:
                stats = await memory.stats()
            return StatsResult(namespace=pool.resolve(namespace), stats=record(stats))
