"""Test utilities for the self-learning memory packages.

- :mod:`.factories`: seeded factories for valid models (``make_episode`` and friends);
- :mod:`.workloads`: realistic synthetic workloads with planted ground truth;
- :mod:`.vocabulary`: the domains, tools, errors and tasks workloads are made of;
- :mod:`.assertions`: ``assert_episode_valid`` and friends for tests of any package;
- :mod:`.conformance`: ``StorageConformance``, the test suite every storage backend passes;
- :mod:`.sqld`: ``run_sqld`` starts a real sqld (libsql-server) on loopback for tests;
- :mod:`.plugin`: the pytest plugin (``anyio_backend`` over trio and asyncio, ``rng``,
  ``episode_factory``, the ``slow`` marker), loaded automatically once installed.
"""

from __future__ import annotations

from .assertions import assert_episode_valid as assert_episode_valid
from .conformance import StorageConformance as StorageConformance
from .conformance import StorageFactory as StorageFactory
from .factories import BASE_TIME as BASE_TIME
from .factories import EpisodeFactory as EpisodeFactory
from .factories import make_context as make_context
from .factories import make_episode as make_episode
from .factories import make_outcome as make_outcome
from .factories import make_step as make_step
from .gil import assert_releases_gil as assert_releases_gil
from .sqld import SqldServer as SqldServer
from .sqld import SqldUnavailableError as SqldUnavailableError
from .sqld import run_sqld as run_sqld
from .vocabulary import error_class_of as error_class_of
from .workloads import Workload as Workload
from .workloads import generate_episodes as generate_episodes
from .workloads import generate_tool_sequences as generate_tool_sequences
from .workloads import generate_workload as generate_workload

__all__ = [
    "BASE_TIME",
    "EpisodeFactory",
    "SqldServer",
    "SqldUnavailableError",
    "StorageConformance",
    "StorageFactory",
    "Workload",
    "__version__",
    "assert_episode_valid",
    "assert_releases_gil",
    "error_class_of",
    "generate_episodes",
    "generate_tool_sequences",
    "generate_workload",
    "make_context",
    "make_episode",
    "make_outcome",
    "make_step",
    "run_sqld",
]

__version__ = "0.1.0"
