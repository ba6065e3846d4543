"""Configuration of a memory: input limits, retrieval weights, learning knobs."""

from __future__ import annotations

from typing import Literal

import msgspec

from .errors import ValidationError

__all__ = ["Limits", "MemoryConfig", "RetrievalWeights"]

_MIB = 1024 * 1024


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """Bounds applied to every input before anything is stored (SPEC §7 defaults)."""

    max_task_description_chars: int = 10_000
    max_steps_per_episode: int = 1_000
    max_observation_chars: int = 10_000
    max_error_chars: int = 10_000
    max_result_chars: int = 10_000
    max_short_text_chars: int = 200
    max_action_chars: int = 1_000
    max_parameters_bytes: int = _MIB
    max_metadata_bytes: int = _MIB
    max_episode_bytes: int = 10 * _MIB
    max_tags: int = 32
    min_tag_chars: int = 2
    max_tag_chars: int = 100
    max_artifacts: int = 100
    max_limit: int = 1_000
    max_latency_ms: int = 7 * 24 * 3600 * 1000
    max_tokens: int = 100_000_000

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValidationError(
                    f"Limits.{name} must be a positive integer, got {value!r}",
                    field=f"limits.{name}",
                )
        if self.min_tag_chars > self.max_tag_chars:
            raise ValidationError(
                "Limits.min_tag_chars must not exceed Limits.max_tag_chars", field="limits"
            )


class RetrievalWeights(msgspec.Struct, frozen=True, kw_only=True):
    """Weights of the retrieval signals; the score is their weighted mean.

    Each signal is in [0, 1], so the score is too. A weight of 0 switches a
    signal off (it is still reported in the breakdown).
    """

    semantic: float = 0.40
    lexical: float = 0.25
    context: float = 0.20
    recency: float = 0.05
    reward: float = 0.10

    def __post_init__(self) -> None:
        values = [getattr(self, name) for name in self.__struct_fields__]
        for name, value in zip(self.__struct_fields__, values, strict=True):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValidationError(
                    f"RetrievalWeights.{name} must be a number >= 0, got {value!r}",
                    field=f"retrieval_weights.{name}",
                )
        if sum(values) <= 0:
            raise ValidationError(
                "RetrievalWeights must have at least one positive weight",
                field="retrieval_weights",
            )

    def as_dict(self) -> dict[str, float]:
        """The weights by signal name."""
        return {name: float(getattr(self, name)) for name in self.__struct_fields__}


class MemoryConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Settings of a :class:`memory_core.SelfLearningMemory`.

    Attributes:
        limits: bounds on every input (see :class:`Limits`).
        retrieval_weights: how retrieval signals are mixed.
        recency_half_life_days: age at which the recency signal halves.
        embedding_dim: dimension of the built-in local embedder's vectors.
        learn_synchronously: learn patterns before ``complete_episode`` returns
            instead of in the background.
        queue_capacity: bound of the background learning queue.
        backpressure: when the learning queue is full, ``"wait"`` for room or
            ``"raise"`` :class:`memory_core.errors.BackpressureError`.
        learning_workers: number of background learning tasks.
    """

    limits: Limits = msgspec.field(default_factory=Limits)
    retrieval_weights: RetrievalWeights = msgspec.field(default_factory=RetrievalWeights)
    recency_half_life_days: float = 30.0
    embedding_dim: int = 384
    learn_synchronously: bool = False
    queue_capacity: int = 100
    backpressure: Literal["wait", "raise"] = "wait"
    learning_workers: int = 1

    def __post_init__(self) -> None:
        if not self.recency_half_life_days > 0:
            raise ValidationError(
                "recency_half_life_days must be > 0", field="recency_half_life_days"
            )
        if not 8 <= self.embedding_dim <= 8192:
            raise ValidationError(
                f"embedding_dim must be in [8, 8192], got {self.embedding_dim}",
                field="embedding_dim",
            )
        if self.queue_capacity < 1:
            raise ValidationError("queue_capacity must be >= 1", field="queue_capacity")
        if self.learning_workers < 1:
            raise ValidationError("learning_workers must be >= 1", field="learning_workers")
        if self.backpressure not in ("wait", "raise"):
            raise ValidationError(
                f"backpressure must be 'wait' or 'raise', got {self.backpressure!r}",
                field="backpressure",
            )
