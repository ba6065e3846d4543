"""The error tree of memory_core.

Every error the library raises on purpose derives from :class:`MemoryCoreError`.
Each subclass also inherits the closest builtin so that generic handlers
(``except ValueError``, ``except LookupError``) keep working. The name
``MemoryError`` is deliberately avoided: it would shadow the builtin.
"""

from __future__ import annotations

__all__ = [
    "BackpressureError",
    "EmbeddingError",
    "EmbeddingModelChangedError",
    "EpisodeStateError",
    "MemoryCoreError",
    "NotFoundError",
    "StorageError",
    "ValidationError",
]


class MemoryCoreError(Exception):
    """Base class of every error raised by memory_core and its storage backends."""


class ValidationError(MemoryCoreError, ValueError):
    """Raised by validation when an input breaks a type rule or a configured limit.

    Nothing is written when this is raised. ``field`` names the offending input
    (dotted path such as ``"step.observation"``) when it is known.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(MemoryCoreError, LookupError):
    """Raised when an episode, pattern or heuristic id does not exist in storage."""


class EpisodeStateError(MemoryCoreError, RuntimeError):
    """Raised when an operation does not fit the episode's state.

    Example: logging a step to, or completing, an episode that is already completed.
    """


class StorageError(MemoryCoreError, OSError):
    """Raised by a storage backend when reading or writing fails.

    Backends map their native errors (libSQL, redb, network) onto this class or
    a subclass of it at their boundary, keeping the original as ``__cause__``.
    """


class BackpressureError(MemoryCoreError, RuntimeError):
    """Raised when the learning queue is full and the memory is configured not to wait."""


class EmbeddingError(MemoryCoreError, RuntimeError):
    """Raised by an embedding provider that cannot produce valid vectors.

    Raised by :class:`~memory_core.embedding.OpenAICompatibleEmbedder` (HTTP failures
    after retries, timeouts, malformed or non-finite responses, a missing API key) and
    :class:`~memory_core.embedding.SentenceTransformerEmbedder` (a model that cannot be
    loaded). ``url`` is the endpoint without credentials and ``status`` the last HTTP
    status, when there was one. Messages never contain the API key.
    """

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class EmbeddingModelChangedError(EmbeddingError):
    """Raised when the store's vectors were made by another embedding model.

    Raised by :func:`~memory_core.embedding.check_embedding_model` under the ``"error"``
    policy, so vectors of two models are never mixed silently. ``stored`` and ``current``
    are the ``(name, dim)`` of the recorded and the configured model.
    """

    def __init__(self, stored: tuple[str, int], current: tuple[str, int]) -> None:
        super().__init__(
            f"stored embeddings were made by {stored[0]!r} (dim {stored[1]}) but the "
            f"embedder is {current[0]!r} (dim {current[1]}); re-embed the store "
            "(policy 'reembed') or configure the original embedder"
        )
        self.stored = stored
        self.current = current
