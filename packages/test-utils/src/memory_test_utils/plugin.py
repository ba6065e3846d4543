"""pytest plugin of memory-test-utils (registered through the ``pytest11`` entry point).

- marker ``slow``: long-running tests (deselect with ``-m "not slow"``);
- fixture ``anyio_backend``: every ``@pytest.mark.anyio`` test runs under trio and asyncio;
- fixture ``rng``: a ``random.Random(1234)``, fresh for each test;
- fixture ``episode_factory``: :func:`~memory_test_utils.factories.make_episode` bound to ``rng``;
- fixtures ``sqld_server`` (a real sqld for the session) and ``sqld_url`` (its URL, emptied
  for each test): see :mod:`memory_test_utils.sqld`;
- fixture ``embedding_server``: a local OpenAI-compatible embeddings server, see
  :mod:`memory_test_utils.embedding_server`.

anyio's own plugin defines a default ``anyio_backend``. Between two plugins the one
registered last wins, and entry points load in no fixed order, so this plugin registers
its ``anyio_backend`` from ``pytest_configure``, after every entry point has loaded.
A ``conftest.py`` can still override it (conftest fixtures beat plugin fixtures).
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from memory_core.models import Episode

from . import _anyio_backend
from ._anyio_backend import ANYIO_BACKENDS
from .embedding_server import embedding_server
from .factories import EpisodeFactory, make_episode
from .sqld import sqld_server, sqld_url

__all__ = [
    "ANYIO_BACKENDS",
    "embedding_server",
    "episode_factory",
    "pytest_configure",
    "rng",
    "sqld_server",
    "sqld_url",
]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``slow`` marker and the ``anyio_backend`` fixture."""
    config.addinivalue_line("markers", "slow: a long-running test (deselect with -m 'not slow')")
    if not config.pluginmanager.has_plugin(_anyio_backend.__name__):
        config.pluginmanager.register(_anyio_backend, _anyio_backend.__name__)


@pytest.fixture
def rng() -> random.Random:
    """A ``random.Random(1234)``, fresh for each test."""
    return random.Random(1234)


@pytest.fixture
def episode_factory(rng: random.Random) -> EpisodeFactory:
    """A callable making seeded episodes: ``episode_factory(n_steps=3, completed=False)``.

    Successive calls in one test give distinct episodes; every run gives the same ones.
    """

    def factory(*, completed: bool = True, n_steps: int | None = None, **overrides: Any) -> Episode:
        return make_episode(rng, completed=completed, n_steps=n_steps, **overrides)

    return factory
