"""TursoStorage passes the storage conformance suite on a file, ``:memory:`` and a real sqld."""

from __future__ import annotations

from pathlib import Path

import pytest

from memory_storage_turso import TursoStorage
from memory_test_utils.conformance import StorageConformance, StorageFactory


class TestFile(StorageConformance):
    @pytest.fixture
    def make_storage(self, tmp_path: Path) -> StorageFactory:
        return lambda: TursoStorage(tmp_path / "memory.db")


class TestMemory(StorageConformance):
    @pytest.fixture
    def make_storage(self) -> StorageFactory:
        return lambda: TursoStorage(":memory:")


class TestSqld(StorageConformance):
    @pytest.fixture
    def make_storage(self, sqld_url: str) -> StorageFactory:
        return lambda: TursoStorage(sqld_url)
