"""The reference backend passes the storage conformance suite."""

from __future__ import annotations

import pytest

from memory_core.storage import InMemoryStorage
from memory_test_utils.conformance import StorageConformance, StorageFactory


class TestInMemoryStorage(StorageConformance):
    @pytest.fixture
    def make_storage(self) -> StorageFactory:
        return InMemoryStorage
