"""The ``anyio_backend`` fixture, a plugin module of its own.

:mod:`memory_test_utils.plugin` registers this module from ``pytest_configure``, after
every entry-point plugin (anyio's included) has loaded, so this fixture is the one used.
"""

from __future__ import annotations

import pytest

__all__ = ["ANYIO_BACKENDS", "anyio_backend"]

#: The backends ``anyio_backend`` runs async tests under (trio first: the primary one).
ANYIO_BACKENDS = ("trio", "asyncio")


@pytest.fixture(scope="module", params=ANYIO_BACKENDS)
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """The async backend of the current test: ``"trio"``, then ``"asyncio"``."""
    backend: str = request.param
    return backend
