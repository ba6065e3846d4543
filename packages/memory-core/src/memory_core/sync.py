"""A blocking facade over :class:`SelfLearningMemory` for synchronous callers.

The async memory runs on an event loop in a background thread (an anyio
blocking portal); each method blocks until its call finishes there. Use it as
a context manager, or call :meth:`SyncSelfLearningMemory.close` when done.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Coroutine, Iterable, Mapping
from contextlib import AbstractContextManager, ExitStack
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

from .config import MemoryConfig
from .embedding import Embedder
from .errors import MemoryCoreError
from .learning import RelearnReport
from .learning.service import ProgressCallback
from .memory import SelfLearningMemory
from .models import (
    Episode,
    ExecutionStep,
    OutcomeStatus,
    RetrievedEpisode,
    TaskContext,
    TaskOutcome,
)
from .patterns import Heuristic, Pattern, PatternMatch
from .reflection import InsightHook
from .stats import MemoryStats
from .storage import StorageBackend, SyncReport

__all__ = ["SyncSelfLearningMemory"]

T = TypeVar("T")


class SyncSelfLearningMemory(AbstractContextManager["SyncSelfLearningMemory"]):
    """Same methods as :class:`SelfLearningMemory`, without ``await``.

    The memory is opened on construction. ``backend`` picks the event loop the
    background thread runs ("asyncio" or "trio").
    """

    def __init__(
        self,
        config: MemoryConfig | None = None,
        *,
        storage: StorageBackend | None = None,
        embedder: Embedder | None = None,
        reflection_hook: InsightHook | None = None,
        backend: Literal["asyncio", "trio"] = "asyncio",
    ) -> None:
        self._memory = SelfLearningMemory(
            config, storage=storage, embedder=embedder, reflection_hook=reflection_hook
        )
        self._stack = ExitStack()
        try:
            self._portal: BlockingPortal = self._stack.enter_context(start_blocking_portal(backend))
            self._stack.enter_context(self._portal.wrap_async_context_manager(self._memory))
        except BaseException:
            self._stack.close()
            raise
        self._closed = False

    @property
    def memory(self) -> SelfLearningMemory:
        """The async memory behind this facade."""
        return self._memory

    def close(self) -> None:
        """Close the memory and stop the background event loop. Idempotent."""
        if not self._closed:
            self._closed = True
            self._stack.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, func: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
        if self._closed:
            raise MemoryCoreError("SyncSelfLearningMemory is closed")
        result: T = self._portal.call(functools.partial(func, *args, **kwargs))
        return result

    def start_episode(
        self,
        task_description: str,
        context: TaskContext,
        *,
        task_type: str | None = None,
        tags: Iterable[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> Episode:
        """See :meth:`SelfLearningMemory.start_episode`."""
        return self._call(
            self._memory.start_episode,
            task_description,
            context,
            task_type=task_type,
            tags=tags,
            metadata=metadata,
        )

    def log_step(self, episode_id: uuid.UUID | str, step: ExecutionStep) -> int:
        """See :meth:`SelfLearningMemory.log_step`."""
        return self._call(self._memory.log_step, episode_id, step)

    def complete_episode(self, episode_id: uuid.UUID | str, outcome: TaskOutcome) -> Episode:
        """See :meth:`SelfLearningMemory.complete_episode`."""
        return self._call(self._memory.complete_episode, episode_id, outcome)

    def import_episodes(self, episodes: Iterable[Episode], *, learn: bool = True) -> int:
        """See :meth:`SelfLearningMemory.import_episodes`."""
        return self._call(self._memory.import_episodes, list(episodes), learn=learn)

    def get_episode(self, episode_id: uuid.UUID | str) -> Episode:
        """See :meth:`SelfLearningMemory.get_episode`."""
        return self._call(self._memory.get_episode, episode_id)

    def list_episodes(
        self,
        *,
        domain: str | None = None,
        tags: Iterable[str] = (),
        outcome: OutcomeStatus | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Episode]:
        """See :meth:`SelfLearningMemory.list_episodes`."""
        return self._call(
            self._memory.list_episodes,
            domain=domain,
            tags=tags,
            outcome=outcome,
            since=since,
            limit=limit,
            offset=offset,
        )

    def delete_episode(self, episode_id: uuid.UUID | str) -> None:
        """See :meth:`SelfLearningMemory.delete_episode`."""
        self._call(self._memory.delete_episode, episode_id)

    def retrieve_relevant_context(
        self, task_description: str, context: TaskContext, limit: int = 5
    ) -> list[RetrievedEpisode]:
        """See :meth:`SelfLearningMemory.retrieve_relevant_context`."""
        return self._call(self._memory.retrieve_relevant_context, task_description, context, limit)

    def wait_learned(self) -> None:
        """See :meth:`SelfLearningMemory.wait_learned`."""
        self._call(self._memory.wait_learned)

    def relearn(self, progress: ProgressCallback | None = None) -> RelearnReport:
        """See :meth:`SelfLearningMemory.relearn` (``progress`` runs in the loop's thread)."""
        return self._call(self._memory.relearn, progress)

    def retrieve_relevant_patterns(
        self, task_description: str, context: TaskContext, limit: int = 5
    ) -> list[PatternMatch]:
        """See :meth:`SelfLearningMemory.retrieve_relevant_patterns`."""
        return self._call(self._memory.retrieve_relevant_patterns, task_description, context, limit)

    def retrieve_heuristics(self, context: TaskContext, limit: int = 10) -> list[Heuristic]:
        """See :meth:`SelfLearningMemory.retrieve_heuristics`."""
        return self._call(self._memory.retrieve_heuristics, context, limit)

    def list_patterns(self) -> list[Pattern]:
        """See :meth:`SelfLearningMemory.list_patterns`."""
        return self._call(self._memory.list_patterns)

    def record_pattern_feedback(self, pattern_id: uuid.UUID | str, helped: bool) -> Pattern:
        """See :meth:`SelfLearningMemory.record_pattern_feedback`."""
        return self._call(self._memory.record_pattern_feedback, pattern_id, helped)

    def sync_memories(self) -> SyncReport:
        """See :meth:`SelfLearningMemory.sync_memories`."""
        return self._call(self._memory.sync_memories)

    def stats(self) -> MemoryStats:
        """See :meth:`SelfLearningMemory.stats`."""
        return self._call(self._memory.stats)
