"""assert_releases_gil tells a GIL-releasing call from one that holds the GIL."""

from __future__ import annotations

import time

import pytest

from memory_test_utils import assert_releases_gil


def test_sleeping_call_passes() -> None:
    assert_releases_gil(lambda: time.sleep(0.2))


def test_gil_holding_call_fails() -> None:
    # One C-level call over a large range never returns to the eval loop, so it
    # never lets another thread run.
    with pytest.raises(AssertionError, match="held the GIL"):
        assert_releases_gil(lambda: sum(range(30_000_000)))
