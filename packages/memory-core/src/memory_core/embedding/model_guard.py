"""Hooks that keep vectors of two embedding models from being mixed.

Vectors are stored per model name, so a lookup under a new model never returns an old
model's vectors. These hooks make a model change visible: the store records which model
(name and dimension) its vectors come from, and :func:`check_embedding_model` compares
that record with the configured embedder when the memory opens. Under the ``"error"``
policy a change raises :class:`~memory_core.errors.EmbeddingModelChangedError`; under
``"reembed"`` the caller re-embeds (reporting progress through a :data:`ReembedProgress`
callback) and then calls :func:`record_embedding_model`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

import anyio
import msgspec

from ..errors import EmbeddingModelChangedError, StorageError, ValidationError
from .hashing import HashingEmbedder
from .protocol import Embedder

__all__ = [
    "MODEL_METADATA_KEY",
    "EmbeddingModelRecord",
    "ModelChangePolicy",
    "ModelCheck",
    "ReembedProgress",
    "check_embedding_model",
    "record_embedding_model",
]

#: Storage metadata key under which the active embedding model is recorded.
MODEL_METADATA_KEY = "embedding.model"

#: What to do when the configured embedder differs from the recorded one.
ModelChangePolicy = Literal["error", "reembed"]

#: Called as ``progress(done, total)`` while stored items are re-embedded.
ReembedProgress = Callable[[int, int], None]


class _Metadata(Protocol):
    async def get_metadata(self, key: str) -> str | None: ...

    async def set_metadata(self, key: str, value: str) -> None: ...


class EmbeddingModelRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Which model made a store's vectors."""

    name: str
    dim: int

    @classmethod
    def of(cls, embedder: Embedder) -> EmbeddingModelRecord:
        """The record describing ``embedder``."""
        return cls(name=embedder.name, dim=embedder.dim)


class ModelCheck(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome of :func:`check_embedding_model`.

    ``stored`` is None for a store that never recorded a model. ``changed`` is True when
    the store has a record and it differs from ``current``: the caller must re-embed.
    """

    stored: EmbeddingModelRecord | None
    current: EmbeddingModelRecord

    @property
    def changed(self) -> bool:
        """True when vectors of another model are stored."""
        return self.stored is not None and self.stored != self.current


_decoder = msgspec.json.Decoder(EmbeddingModelRecord)


async def _identity(embedder: Embedder) -> EmbeddingModelRecord:
    if isinstance(embedder, HashingEmbedder):
        return EmbeddingModelRecord.of(embedder)
    # Reading name/dim may block (an HTTP embedder probes its dimension): not on the loop.
    return await anyio.to_thread.run_sync(EmbeddingModelRecord.of, embedder)


async def check_embedding_model(
    storage: _Metadata, embedder: Embedder, *, on_change: ModelChangePolicy = "error"
) -> ModelCheck:
    """Compare the store's recorded embedding model with ``embedder``.

    Raises:
        EmbeddingModelChangedError: the models differ and ``on_change`` is ``"error"``.
        StorageError: the stored record cannot be decoded.
        ValidationError: ``on_change`` is not a known policy.
    """
    if on_change not in ("error", "reembed"):
        raise ValidationError(
            f"on_change must be 'error' or 'reembed', got {on_change!r}", field="on_change"
        )
    current = await _identity(embedder)
    raw = await storage.get_metadata(MODEL_METADATA_KEY)
    stored: EmbeddingModelRecord | None = None
    if raw is not None:
        try:
            stored = _decoder.decode(raw)
        except msgspec.DecodeError as exc:
            raise StorageError(
                f"metadata {MODEL_METADATA_KEY!r} is not a model record: {exc}"
            ) from exc
    check = ModelCheck(stored=stored, current=current)
    if check.changed and on_change == "error":
        assert stored is not None
        raise EmbeddingModelChangedError((stored.name, stored.dim), (current.name, current.dim))
    return check


async def record_embedding_model(storage: _Metadata, embedder: Embedder) -> None:
    """Record ``embedder`` as the model of the store's vectors (after a full (re-)embed)."""
    record = await _identity(embedder)
    await storage.set_metadata(MODEL_METADATA_KEY, msgspec.json.encode(record).decode())
