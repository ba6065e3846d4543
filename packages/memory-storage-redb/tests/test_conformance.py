"""RedbCache passes the storage conformance suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from memory_storage_redb import RedbCache
from memory_test_utils.conformance import StorageConformance, StorageFactory


class TestRedbCache(StorageConformance):
    @pytest.fixture
    def make_storage(self, tmp_path: Path) -> StorageFactory:
        return lambda: RedbCache(tmp_path / "cache.redb")


class TestRedbCacheNoDurability(StorageConformance):
    @pytest.fixture
    def make_storage(self, tmp_path: Path) -> StorageFactory:
        return lambda: RedbCache(tmp_path / "cache.redb", durability="none", capacity=None)
