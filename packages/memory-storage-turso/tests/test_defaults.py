"""Defaults that bound waiting: an unreachable server fails typed within a few seconds."""

from __future__ import annotations

import time

import anyio
import pytest

from memory_storage_turso import StorageUnavailableError, TursoStorage
from memory_test_utils.sqld import free_port


def test_default_retry_budget_is_a_few_seconds() -> None:
    # Run once (not per async backend): it waits out the whole default budget.
    async def attempt() -> None:
        await TursoStorage(f"http://127.0.0.1:{free_port()}").open()

    started = time.monotonic()
    with pytest.raises(StorageUnavailableError, match="retry budget 5s"):
        anyio.run(attempt, backend="trio")
    assert 3.0 < time.monotonic() - started < 8.0
