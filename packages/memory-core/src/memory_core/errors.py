"""The error tree of memory_core.

Every error the library raises on purpose derives from :class:`MemoryCoreError`.
Each subclass also inherits the closest builtin so that generic handlers
(``except ValueError``, ``except LookupError``) keep working. The name
``MemoryError`` is deliberately avoided: it would shadow the builtin.
"""

from __future__ import annotations

__all__ = [
    "BackpressureError",
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
