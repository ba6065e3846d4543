"""The bounded learning queue: backpressure, structured-concurrency workers, drain on close.

Producers (``complete_episode``) put completed episodes; workers started in the
memory's task group take them in small batches and hand them to the learning
handler. When the queue is full a producer either waits (default) or gets
:class:`memory_core.errors.BackpressureError`. Closing the queue lets the
workers drain what is queued and exit, so nothing accepted is dropped on a
clean shutdown.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Literal, TypeVar

import anyio
import msgspec
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream

from ..errors import BackpressureError
from ..observability._context import log_context
from ..observability.tracing import span as trace_span

__all__ = ["LearningQueue", "QueueStats"]

T = TypeVar("T")
logger = logging.getLogger("memory_core.learning")

_BATCH = 64
_THROUGHPUT_WINDOW_S = 60.0


class QueueStats(msgspec.Struct, frozen=True, kw_only=True):
    """What the learning queue is doing right now and has done so far."""

    depth: int
    capacity: int
    max_depth: int
    enqueued: int
    processed: int
    failed: int
    pending: int
    backpressure_waits: int
    rejected: int
    lag_s: float
    max_lag_s: float
    throughput_per_s: float


class LearningQueue(Generic[T]):
    """A bounded queue of work items processed in batches by ``workers`` tasks."""

    def __init__(
        self,
        handler: Callable[[Sequence[T]], Awaitable[None]],
        *,
        capacity: int,
        backpressure: Literal["wait", "raise"],
        workers: int = 1,
    ) -> None:
        self._handler = handler
        self._capacity = capacity
        self._backpressure = backpressure
        self._workers = workers
        self._send, self._receive = anyio.create_memory_object_stream[tuple[float, T]](capacity)
        self._pending = 0
        self._idle = anyio.Event()
        self._idle.set()
        self._enqueued = self._processed = self._failed = 0
        self._waits = self._rejected = self._max_depth = 0
        self._lag = self._max_lag = 0.0
        self._done_times: deque[tuple[float, int]] = deque()
        self._closed = False

    def start(self, task_group: TaskGroup) -> None:
        """Start the workers in ``task_group`` (they run until :meth:`close`)."""
        for number in range(self._workers):
            task_group.start_soon(
                self._work, self._receive.clone(), name=f"learning-worker-{number}"
            )
        self._receive.close()

    async def put(self, item: T) -> None:
        """Queue an item; wait for room or raise BackpressureError, as configured."""
        if self._closed:
            raise RuntimeError("the learning queue is closed")
        entry = (time.monotonic(), item)
        self._mark_pending()
        try:
            self._send.send_nowait(entry)
        except anyio.WouldBlock:
            if self._backpressure == "raise":
                self._rejected += 1
                self._unmark_pending(1)
                raise BackpressureError(
                    f"learning queue is full ({self._capacity} episodes waiting); the episode "
                    "is stored and will be learned by the next relearn()"
                ) from None
            self._waits += 1
            try:
                await self._send.send(entry)
            except BaseException:
                self._unmark_pending(1)
                raise
        self._enqueued += 1
        self._max_depth = max(self._max_depth, self._depth())

    def _depth(self) -> int:
        return self._send.statistics().current_buffer_used

    def _mark_pending(self) -> None:
        if self._pending == 0:
            self._idle = anyio.Event()
        self._pending += 1

    def _unmark_pending(self, count: int) -> None:
        self._pending -= count
        if self._pending == 0:
            self._idle.set()

    async def join(self) -> None:
        """Wait until every queued item has been processed (or has failed)."""
        while self._pending:
            await self._idle.wait()

    async def close(self) -> None:
        """Stop accepting items; workers drain the queue and then exit."""
        if not self._closed:
            self._closed = True
            await self._send.aclose()

    async def _work(self, receive: MemoryObjectReceiveStream[tuple[float, T]]) -> None:
        async with receive:
            async for first in receive:
                batch = [first]
                while len(batch) < _BATCH:
                    try:
                        batch.append(receive.receive_nowait())
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        break
                await self._process(batch)

    async def _process(self, batch: list[tuple[float, T]]) -> None:
        now = time.monotonic()
        self._lag = now - batch[0][0]
        self._max_lag = max(self._max_lag, self._lag)
        try:
            with (
                log_context(operation="learn"),
                trace_span("learning.batch", **{"memory.episodes": len(batch)}),
            ):
                await self._handler([item for _, item in batch])
        except Exception:
            # Learning failures never lose an episode: it is already stored and
            # the next relearn() covers it. Count, log, keep the worker alive.
            self._failed += len(batch)
            logger.exception("learning failed for a batch of %d episodes", len(batch))
        else:
            self._processed += len(batch)
            self._done_times.append((time.monotonic(), len(batch)))
        finally:
            self._unmark_pending(len(batch))

    def stats(self) -> QueueStats:
        """A snapshot of depth, lag and throughput."""
        now = time.monotonic()
        while self._done_times and now - self._done_times[0][0] > _THROUGHPUT_WINDOW_S:
            self._done_times.popleft()
        recent = sum(count for _, count in self._done_times)
        span = now - self._done_times[0][0] if self._done_times else 0.0
        return QueueStats(
            depth=self._depth(),
            capacity=self._capacity,
            max_depth=self._max_depth,
            enqueued=self._enqueued,
            processed=self._processed,
            failed=self._failed,
            pending=self._pending,
            backpressure_waits=self._waits,
            rejected=self._rejected,
            lag_s=self._lag,
            max_lag_s=self._max_lag,
            throughput_per_s=recent / max(span, 1.0),
        )
