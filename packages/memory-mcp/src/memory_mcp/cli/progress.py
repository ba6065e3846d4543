"""A one-line progress bar on stderr, quiet when stderr is not a terminal or with ``--quiet``."""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["ProgressBar"]

_WIDTH = 30
_MIN_INTERVAL_S = 0.1  # redraws are throttled: a bar must not slow the work it shows


def _amount(value: int, unit: str) -> str:
    if unit != "bytes":
        return str(value)
    if value < 1024:
        return f"{value} B"
    size = value / 1024
    suffix = "KiB"
    for larger in ("MiB", "GiB"):
        if size < 1024:
            break
        size, suffix = size / 1024, larger
    return f"{size:.1f} {suffix}"


class ProgressBar:
    """Draws ``label [#####.....] done/total`` on ``stream``, redrawn in place.

    Disabled bars accept every call and draw nothing, so callers need no branches.
    """

    def __init__(self, stream: TextIO, *, enabled: bool) -> None:
        self._stream = stream
        self._enabled = enabled
        self._label = ""
        self._last_draw = 0.0
        self._drawn = False

    @classmethod
    def for_stream(cls, stream: TextIO, *, quiet: bool) -> ProgressBar:
        """A bar that draws only on an interactive ``stream`` and when not ``quiet``."""
        interactive = hasattr(stream, "isatty") and stream.isatty()
        return cls(stream, enabled=interactive and not quiet)

    @property
    def enabled(self) -> bool:
        """Whether this bar draws anything."""
        return self._enabled

    def update(self, label: str, done: int, total: int, *, unit: str = "") -> None:
        """Show ``done`` of ``total``; redraws at most every 0.1 s unless the label changed."""
        if not self._enabled:
            return
        now = time.monotonic()
        finished = done >= total
        if label == self._label and not finished and now - self._last_draw < _MIN_INTERVAL_S:
            return
        if label != self._label and self._drawn:
            self._stream.write("\n")
        self._label, self._last_draw, self._drawn = label, now, True
        fraction = min(1.0, done / total) if total > 0 else 1.0
        filled = round(fraction * _WIDTH)
        bar = "#" * filled + "." * (_WIDTH - filled)
        counts = f"{_amount(done, unit)}/{_amount(total, unit)}"
        self._stream.write(f"\r{label:<10} [{bar}] {counts} {fraction:4.0%}")
        self._stream.flush()

    def close(self) -> None:
        """End the bar's line so later output starts on a fresh one."""
        if self._enabled and self._drawn:
            self._stream.write("\n")
            self._stream.flush()
        self._drawn = False
        self._label = ""
