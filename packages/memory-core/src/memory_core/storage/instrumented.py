"""A storage wrapper that counts, times and traces every call the memory makes.

:class:`SelfLearningMemory` talks to its backend through this wrapper, so each
storage method gets a ``storage.<method>`` span (a child of the operation's
span), a call/error counter and a latency histogram, whatever the backend.
Attributes the wrapper does not instrument (``open``, ``close``,
``iter_episodes``, backend-specific extras) are the backend's own.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from ..stats import OperationCounters, OperationStats
from .protocol import StorageBackend

__all__ = ["InstrumentedStorage", "instrument_storage_view"]

# The awaitable methods of StorageBackend and SearchableStorage that do I/O.
_TRACED = frozenset(
    {
        "put_episode",
        "put_episodes",
        "get_episode",
        "get_episodes",
        "delete_episode",
        "list_episodes",
        "count_episodes",
        "put_patterns",
        "get_pattern",
        "list_patterns",
        "delete_pattern",
        "count_patterns",
        "put_heuristics",
        "get_heuristic",
        "list_heuristics",
        "delete_heuristic",
        "count_heuristics",
        "put_embeddings",
        "get_embeddings",
        "get_metadata",
        "set_metadata",
        "search_text",
        "search_vectors",
    }
)


class InstrumentedStorage:
    """Wraps ``backend``; behaves like it, and records each traced call in ``counters``."""

    def __init__(self, backend: StorageBackend) -> None:
        self.backend = backend
        self.counters = OperationCounters(
            "storage", logger=logging.getLogger("memory_core.storage"), log_context=False
        )

    def __repr__(self) -> str:
        return f"InstrumentedStorage({self.backend!r})"

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.backend, name)
        if name not in _TRACED:
            return attribute
        method = cast("Callable[..., Awaitable[Any]]", attribute)
        counters = self.counters

        @functools.wraps(method)
        async def traced(*args: Any, **kwargs: Any) -> Any:
            with counters.track(name):
                return await method(*args, **kwargs)

        # Cached on the instance: later lookups skip __getattr__ entirely.
        setattr(self, name, traced)
        return traced

    def snapshot(self) -> dict[str, OperationStats]:
        """Per-method call stats so far."""
        return self.counters.snapshot()


def instrument_storage_view(wrapper: InstrumentedStorage) -> StorageBackend:
    """``wrapper`` typed as the protocol it forwards (it is one, through ``__getattr__``)."""
    return cast("StorageBackend", wrapper)
