"""The public API: names re-exported explicitly, and every __all__ entry importable."""

from __future__ import annotations

import importlib

import pytest

import memory_core

MODULES = [
    "memory_core",
    "memory_core.codec",
    "memory_core.config",
    "memory_core.embedding",
    "memory_core.errors",
    "memory_core.learning",
    "memory_core.lifecycle",
    "memory_core.mining",
    "memory_core.models",
    "memory_core.observability",
    "memory_core.patterns",
    "memory_core.redaction",
    "memory_core.reflection",
    "memory_core.retrieval",
    "memory_core.retrieval.fusion",
    "memory_core.reward",
    "memory_core.similarity",
    "memory_core.stats",
    "memory_core.storage",
    "memory_core.storage.instrumented",
    "memory_core.text",
    "memory_core.validation",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(exported) == len(set(exported))
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.{symbol} missing"


def test_seed_names_are_top_level() -> None:
    for symbol in ("SelfLearningMemory", "TaskContext", "ExecutionStep", "TaskOutcome"):
        assert symbol in memory_core.__all__


def test_error_tree() -> None:
    from memory_core import errors

    assert issubclass(errors.ValidationError, ValueError)
    for cls in (
        errors.ValidationError,
        errors.NotFoundError,
        errors.EpisodeStateError,
        errors.StorageError,
        errors.BackpressureError,
    ):
        assert issubclass(cls, errors.MemoryCoreError)
    assert errors.MemoryCoreError is not MemoryError
    assert not hasattr(errors, "MemoryError")


def test_storage_protocol_is_satisfied_by_in_memory_storage() -> None:
    from memory_core.storage import InMemoryStorage, StorageBackend

    assert isinstance(InMemoryStorage(), StorageBackend)
