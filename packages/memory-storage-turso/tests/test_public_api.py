"""The public API: exports, version, entry point, error tree."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points, version

import pytest

import memory_storage_turso
from memory_core.errors import StorageError
from memory_core.storage import SearchableStorage, StorageBackend
from memory_storage_turso import (
    SchemaVersionError,
    StorageAuthError,
    StorageQueryError,
    StorageUnavailableError,
    TursoStorage,
    TursoStorageError,
)

MODULES = ["memory_storage_turso", "memory_storage_turso.errors", "memory_storage_turso.storage"]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    assert len(module.__all__) == len(set(module.__all__))
    for symbol in module.__all__:
        assert hasattr(module, symbol), f"{name}.{symbol} missing"


def test_version_matches_metadata() -> None:
    assert memory_storage_turso.__version__ == version("memory-storage-turso")


def test_registered_for_the_libsql_scheme() -> None:
    (point,) = [p for p in entry_points(group="memory_core.storage") if p.name == "libsql"]
    assert point.load() is TursoStorage


def test_satisfies_the_storage_protocol() -> None:
    assert isinstance(TursoStorage(":memory:"), StorageBackend)


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (StorageUnavailableError, ConnectionError),
        (StorageAuthError, PermissionError),
        (SchemaVersionError, TursoStorageError),
        (StorageQueryError, TursoStorageError),
    ],
)
def test_error_tree(error: type[Exception], builtin: type[Exception]) -> None:
    assert issubclass(error, TursoStorageError)
    assert issubclass(error, StorageError)
    assert issubclass(error, builtin)
    assert error.__doc__


def test_offers_the_search_hooks_of_the_storage_protocol() -> None:
    storage = TursoStorage(":memory:")
    assert isinstance(storage, StorageBackend)
    assert isinstance(storage, SearchableStorage)
