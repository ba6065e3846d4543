"""Check that a blocking call releases the GIL while it runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["assert_releases_gil"]


def assert_releases_gil(
    call: Callable[[], object], *, min_ticks: int = 1000, attempts: int = 3
) -> None:
    """Run ``call`` in a thread while this thread spins; fail if it was starved.

    A call that holds the GIL stalls the spinning loop for about its whole
    duration; one that releases it leaves the loop running (many ticks, no gap
    longer than half the call). ``call`` runs once first to measure its length.

    A loaded machine (or a coverage tracer) can stall the loop by chance, so the
    check passes if any of ``attempts`` runs shows no starvation; a call that
    holds the GIL starves every run and still fails.
    """
    failure: AssertionError | None = None
    for _ in range(max(1, attempts)):
        try:
            _check_once(call, min_ticks)
        except AssertionError as exc:
            failure = exc
        else:
            return
    assert failure is not None
    raise failure


def _check_once(call: Callable[[], object], min_ticks: int) -> None:
    started = time.perf_counter()
    call()
    call_seconds = time.perf_counter() - started

    worker = threading.Thread(target=call)
    ticks = 0
    longest_gap = 0.0
    # Start the clock before start(): a GIL-holding worker would otherwise stall
    # this thread inside start() itself, where no gap is measured.
    last = time.perf_counter()
    worker.start()
    while True:
        alive = worker.is_alive()
        now = time.perf_counter()
        longest_gap = max(longest_gap, now - last)
        last = now
        if not alive:
            break
        ticks += 1
    worker.join()
    if ticks <= min_ticks or longest_gap >= call_seconds / 2:
        raise AssertionError(
            f"the call held the GIL: {ticks} ticks, longest stall {longest_gap * 1000:.1f} ms "
            f"of a {call_seconds * 1000:.1f} ms call"
        )
