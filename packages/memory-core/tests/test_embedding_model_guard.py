"""The model-change hooks: a store remembers which embedding model made its vectors."""

from __future__ import annotations

import pytest

from memory_core.embedding import (
    MODEL_METADATA_KEY,
    EmbeddingError,
    EmbeddingModelChangedError,
    EmbeddingModelRecord,
    HashingEmbedder,
    check_embedding_model,
    record_embedding_model,
)
from memory_core.errors import StorageError, ValidationError
from memory_core.storage import InMemoryStorage

pytestmark = pytest.mark.anyio


@pytest.fixture
async def storage() -> InMemoryStorage:
    store = InMemoryStorage()
    await store.open()
    return store


async def test_fresh_store_has_no_record(storage: InMemoryStorage) -> None:
    check = await check_embedding_model(storage, HashingEmbedder(64))
    assert check.stored is None
    assert check.current == EmbeddingModelRecord(name="hashing-v1-64", dim=64)
    assert not check.changed


async def test_same_model_is_unchanged(storage: InMemoryStorage) -> None:
    await record_embedding_model(storage, HashingEmbedder(64))
    check = await check_embedding_model(storage, HashingEmbedder(64))
    assert check.stored == check.current
    assert not check.changed


async def test_model_change_raises_under_error_policy(storage: InMemoryStorage) -> None:
    await record_embedding_model(storage, HashingEmbedder(64))
    with pytest.raises(EmbeddingModelChangedError) as caught:
        await check_embedding_model(storage, HashingEmbedder(128))
    error = caught.value
    assert isinstance(error, EmbeddingError)
    assert error.stored == ("hashing-v1-64", 64)
    assert error.current == ("hashing-v1-128", 128)
    assert "hashing-v1-64" in str(error)
    assert "reembed" in str(error)


async def test_model_change_is_reported_under_reembed_policy(storage: InMemoryStorage) -> None:
    await record_embedding_model(storage, HashingEmbedder(64))
    check = await check_embedding_model(storage, HashingEmbedder(128), on_change="reembed")
    assert check.changed
    assert check.stored == EmbeddingModelRecord(name="hashing-v1-64", dim=64)
    # After re-embedding, the caller records the new model and the change is settled.
    await record_embedding_model(storage, HashingEmbedder(128))
    assert not (await check_embedding_model(storage, HashingEmbedder(128))).changed


async def test_corrupt_record_is_a_storage_error(storage: InMemoryStorage) -> None:
    await storage.set_metadata(MODEL_METADATA_KEY, "not json")
    with pytest.raises(StorageError, match=MODEL_METADATA_KEY):
        await check_embedding_model(storage, HashingEmbedder(64))


async def test_unknown_policy(storage: InMemoryStorage) -> None:
    with pytest.raises(ValidationError) as caught:
        await check_embedding_model(storage, HashingEmbedder(64), on_change="ignore")  # type: ignore[arg-type]
    assert caught.value.field == "on_change"
    assert await storage.get_metadata(MODEL_METADATA_KEY) is None
