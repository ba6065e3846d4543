"""Bounded exponential backoff for transient failures.

Engines raise :class:`TransientError` (with the native error as ``__cause__``)
for failures that may pass: connection refused, HTTP 5xx, ``database is locked``.
:func:`retrying` runs an action again after a jittered, doubling delay until a
time budget is spent, then raises :class:`StorageUnavailableError`. Sleeping is
``anyio.sleep``: the event loop keeps running and nothing holds the GIL.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

from memory_core.observability import count_storage_retry

from .errors import StorageUnavailableError

__all__ = ["Backoff", "TransientError", "retrying"]

T = TypeVar("T")

_log = logging.getLogger("memory_storage_turso")


class TransientError(Exception):
    """Internal: a failure that may pass if tried again. Never leaves the package."""


@dataclass(frozen=True)
class Backoff:
    """Retry budget: total seconds, first delay and the cap the delay doubles up to."""

    budget: float
    first: float
    cap: float


async def retrying(
    action: Callable[[], Awaitable[T]], backoff: Backoff, *, what: str, url: str
) -> T:
    """Run ``action``, retrying on :class:`TransientError` within ``backoff.budget`` seconds.

    The budget bounds the time spent waiting between attempts plus the attempts
    themselves: no retry starts once it would end past the deadline.
    """
    start = anyio.current_time()
    deadline = start + backoff.budget
    delay = backoff.first
    attempts = 0
    while True:
        attempts += 1
        try:
            return await action()
        except TransientError as exc:
            # Full jitter in [delay/2, delay]: processes that collided once should not
            # collide again on the same schedule.
            pause = delay * (0.5 + random.random() / 2)
            now = anyio.current_time()
            if now + pause > deadline:
                elapsed = now - start
                message = (
                    f"{what} failed on {url}: gave up after {attempts} attempt(s) in "
                    f"{elapsed:.1f}s (retry budget {backoff.budget:g}s): {exc}"
                )
                raise StorageUnavailableError(message, url=url) from (exc.__cause__ or exc)
            count_storage_retry("turso")
            _log.debug("%s failed on %s (%s); retrying in %.2fs", what, url, exc, pause)
            await anyio.sleep(pause)
            delay = min(backoff.cap, delay * 2)
