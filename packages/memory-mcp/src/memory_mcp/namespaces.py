"""One isolated memory per namespace, opened lazily, a bounded number at a time.

Each namespace has its own storage (its own database file and cache, or its own
remote database through the ``{namespace}`` URL placeholder), so a record of one
namespace cannot be read through another: an id from elsewhere is simply not
found. A :class:`SelfLearningMemory` owns a task group, which must be entered and
left by the same task, so every open memory lives in a host task of the pool's
own task group; the pool hands out leases and closes idle memories when it needs
room or shuts down (which drains their background learning).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType

import anyio
from anyio.abc import TaskGroup, TaskStatus

from memory_core import SelfLearningMemory
from memory_core.observability import log_context
from memory_core.stats import MemoryStats

from .errors import MemoryMcpError, NamespaceBusyError
from .settings import Settings, open_memory, validate_namespace

__all__ = ["MemoryOpener", "MemoryPool"]

logger = logging.getLogger("memory_mcp")

#: How a pool opens one namespace's memory (tests substitute in-memory storage).
MemoryOpener = Callable[[Settings, str], AbstractAsyncContextManager[SelfLearningMemory]]


class _Slot:
    """One open namespace: its memory, current users and the events of its host task."""

    def __init__(self) -> None:
        self.memory: SelfLearningMemory | None = None
        self.users = 0
        self.last_used = time.monotonic()
        self.close = anyio.Event()
        self.closed = anyio.Event()


class MemoryPool:
    """Open memories by namespace; use as an async context manager, then :meth:`lease`.

    Args:
        settings: where each namespace's data lives and how many may be open.
        opener: opens one namespace's memory (default :func:`open_memory`).
        drain_timeout: seconds shutdown waits for memories to drain learning.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        opener: MemoryOpener = open_memory,
        drain_timeout: float = 60.0,
    ) -> None:
        self.settings = settings
        self._opener = opener
        self._drain_timeout = drain_timeout
        self._slots: dict[str, _Slot] = {}
        self._lock = anyio.Lock()
        self._task_group: TaskGroup | None = None

    def __repr__(self) -> str:
        return f"MemoryPool(open={sorted(self._slots)}, limit={self.settings.max_open_namespaces})"

    @property
    def open_namespaces(self) -> list[str]:
        """Names of the namespaces currently open, sorted."""
        return sorted(self._slots)

    async def __aenter__(self) -> MemoryPool:
        if self._task_group is not None:
            raise MemoryMcpError("this MemoryPool is already open")
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        task_group, self._task_group = self._task_group, None
        if task_group is None:
            return None
        # Shielded: a shutdown signal must not cut learning short while memories drain.
        with anyio.CancelScope(shield=True):
            slots = list(self._slots.values())
            self._slots.clear()
            for slot in slots:
                slot.close.set()
            with anyio.move_on_after(self._drain_timeout) as scope:
                for slot in slots:
                    await slot.closed.wait()
            if scope.cancelled_caught:
                logger.error(
                    "memories did not close within %.0f s; cancelling", self._drain_timeout
                )
                task_group.cancel_scope.cancel()
        return await task_group.__aexit__(exc_type, exc, tb)

    async def stats_of_open(self) -> dict[str, MemoryStats]:
        """``stats()`` of every namespace open right now (none is opened for this)."""
        result: dict[str, MemoryStats] = {}
        for name in self.open_namespaces:
            slot = self._slots.get(name)
            if slot is None or slot.memory is None:
                continue  # closed or still opening since the list was taken
            slot.users += 1  # keeps the eviction of idle namespaces away meanwhile
            try:
                result[name] = await slot.memory.stats()
            finally:
                slot.users -= 1
        return result

    def resolve(self, namespace: str | None) -> str:
        """The namespace a call means: ``namespace`` validated, or the default one."""
        if namespace is None:
            return self.settings.default_namespace
        return validate_namespace(namespace)

    @asynccontextmanager
    async def lease(self, namespace: str | None = None) -> AsyncIterator[SelfLearningMemory]:
        """The open memory of ``namespace`` (opening it if needed) for the ``async with`` block.

        Raises :class:`memory_core.errors.ValidationError` for a malformed or unavailable
        namespace and :class:`NamespaceBusyError` when the bound is reached with every
        open namespace in use.
        """
        name = self.resolve(namespace)
        async with self._lock:
            slot = self._slots.get(name)
            if slot is None:
                slot = await self._open(name)
            slot.users += 1
        try:
            assert slot.memory is not None  # set before the slot is published
            with log_context(namespace=name):
                yield slot.memory
        finally:
            slot.users -= 1
            slot.last_used = time.monotonic()

    async def _open(self, name: str) -> _Slot:
        task_group = self._task_group
        if task_group is None:
            raise MemoryMcpError("MemoryPool is not open; use `async with MemoryPool(...)`")
        # Checked before opening: refuses namespaces a shared remote database cannot isolate.
        self.settings.database_url(name)
        await self._make_room()
        slot = _Slot()
        await task_group.start(self._host, name, slot)
        self._slots[name] = slot
        return slot

    async def _make_room(self) -> None:
        limit = self.settings.max_open_namespaces
        while len(self._slots) >= limit:
            idle = [(slot.last_used, name) for name, slot in self._slots.items() if not slot.users]
            if not idle:
                raise NamespaceBusyError(
                    f"namespace: all {limit} open namespaces are in use; "
                    "retry later or raise MEMORY_MAX_OPEN_NAMESPACES"
                )
            _, oldest = min(idle)
            slot = self._slots.pop(oldest)
            slot.close.set()
            with anyio.CancelScope(shield=True):
                with anyio.move_on_after(self._drain_timeout) as scope:
                    await slot.closed.wait()
            if scope.cancelled_caught:
                logger.error(
                    "namespace %r did not close within %.0f s", oldest, self._drain_timeout
                )

    async def _host(
        self, name: str, slot: _Slot, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        started = False
        try:
            # Set here, the namespace reaches the memory's background tasks (learning) too.
            with log_context(namespace=name):
                async with self._opener(self.settings, name) as memory:
                    slot.memory = memory
                    task_status.started()
                    started = True
                    await slot.close.wait()
        except Exception:
            if not started:
                raise  # reaches the caller of lease(); the pool's task group is unaffected
            # A failing close must not take every other namespace down with it.
            logger.exception("closing namespace %r failed", name)
        finally:
            slot.closed.set()
