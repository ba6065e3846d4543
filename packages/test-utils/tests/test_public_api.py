"""The public API: explicit re-exports, and every __all__ entry importable."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points, version

import pytest

import memory_test_utils

MODULES = [
    "memory_test_utils",
    "memory_test_utils.assertions",
    "memory_test_utils.factories",
    "memory_test_utils.plugin",
    "memory_test_utils.vocabulary",
    "memory_test_utils.workloads",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(exported) == len(set(exported))
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.{symbol} missing"


def test_top_level_names() -> None:
    for symbol in ("make_episode", "generate_episodes", "generate_workload", "Workload"):
        assert symbol in memory_test_utils.__all__


def test_version_matches_metadata() -> None:
    assert memory_test_utils.__version__ == version("memory-test-utils")


def test_plugin_entry_point() -> None:
    (point,) = [p for p in entry_points(group="pytest11") if p.name == "memory_test_utils"]
    assert point.value == "memory_test_utils.plugin"
