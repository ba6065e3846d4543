"""Configuration of a memory: input limits, retrieval weights, learning knobs."""

from __future__ import annotations

from typing import Literal

import msgspec

from .errors import ValidationError
from .redaction import RedactionConfig

__all__ = ["LearningConfig", "Limits", "MemoryConfig", "RetrievalWeights"]

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

    semantic: float = 0.60
    lexical: float = 0.25
    context: float = 0.10
    recency: float = 0.025
    reward: float = 0.05
    effectiveness: float = 0.025

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


class LearningConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How patterns and heuristics are mined across episodes.

    Attributes:
        min_support: episodes a pattern must occur in before it is reported.
        min_sequence_length / max_sequence_length: tool n-gram lengths mined.
        max_recovery_steps: steps after a failure considered part of its recovery.
        effectiveness_half_life_days: age at which feedback counts half.
        max_evidence: episode ids kept as evidence per pattern or heuristic.
        max_candidates: bound on tracked n-gram candidates; beyond it, candidates
            seen in a single episode are pruned (a bulk re-mine restores exact counts).
        confidence_z: z-score of the Wilson lower bound used as confidence.
    """

    min_support: int = 3
    min_sequence_length: int = 2
    max_sequence_length: int = 5
    max_recovery_steps: int = 4
    effectiveness_half_life_days: float = 30.0
    max_evidence: int = 20
    max_candidates: int = 2_000_000
    confidence_z: float = 1.96

    def __post_init__(self) -> None:
        if self.min_support < 1:
            raise ValidationError("learning.min_support must be >= 1", field="learning.min_support")
        if not 1 <= self.min_sequence_length <= self.max_sequence_length <= 5:
            raise ValidationError(
                "learning sequence lengths must satisfy 1 <= min <= max <= 5",
                field="learning.max_sequence_length",
            )
        if self.max_recovery_steps < 1 or self.max_evidence < 1 or self.max_candidates < 1000:
            raise ValidationError(
                "learning.max_recovery_steps and max_evidence must be >= 1, max_candidates >= 1000",
                field="learning",
            )
        if not self.effectiveness_half_life_days > 0 or not self.confidence_z > 0:
            raise ValidationError(
                "learning.effectiveness_half_life_days and confidence_z must be > 0",
                field="learning",
            )


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
        learning: pattern-mining settings (see :class:`LearningConfig`).
        pattern_weights: weights of the pattern-ranking signals.
        dense_search: how semantic candidates are found: ``"auto"`` (by store
            size), ``"exact"`` (fp32 scan), ``"quantized"`` (int8 scan and exact
            re-rank) or ``"ann"`` (HNSW graph; needs the ``ann`` extra).
        query_cache_size: recent retrieval results kept (0 disables the cache);
            any change to the index invalidates them.
        query_cache_ttl_s: age after which a cached result is recomputed (its
            recency values drift with time).
        on_embedder_change: what opening a store whose vectors came from another
            embedding model does: ``"reembed"`` every episode (logged with
            progress) or ``"error"`` (raise
            :class:`~memory_core.errors.EmbeddingModelChangedError`).
        redaction: write-time redaction of secrets (off by default; see
            :class:`~memory_core.redaction.RedactionConfig`).
    """

    limits: Limits = msgspec.field(default_factory=Limits)
    retrieval_weights: RetrievalWeights = msgspec.field(default_factory=RetrievalWeights)
    recency_half_life_days: float = 30.0
    embedding_dim: int = 384
    learn_synchronously: bool = False
    queue_capacity: int = 100
    backpressure: Literal["wait", "raise"] = "wait"
    learning_workers: int = 1
    learning: LearningConfig = msgspec.field(default_factory=LearningConfig)
    pattern_weights: dict[str, float] = msgspec.field(
        default_factory=lambda: {
            "context": 0.30,
            "relevance": 0.30,
            "quality": 0.25,
            "effectiveness": 0.15,
        }
    )
    dense_search: Literal["auto", "exact", "quantized", "ann"] = "auto"
    query_cache_size: int = 256
    query_cache_ttl_s: float = 60.0
    on_embedder_change: Literal["reembed", "error"] = "reembed"
    redaction: RedactionConfig = msgspec.field(default_factory=RedactionConfig)

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
        expected = {"context", "relevance", "quality", "effectiveness"}
        weights = self.pattern_weights
        if (
            set(weights) != expected
            or any(
                not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0
                for v in weights.values()
            )
            or sum(weights.values()) <= 0
        ):
            raise ValidationError(
                f"pattern_weights must map exactly {sorted(expected)} to numbers >= 0 "
                "(at least one positive)",
                field="pattern_weights",
            )
        if self.dense_search not in ("auto", "exact", "quantized", "ann"):
            raise ValidationError(
                "dense_search must be 'auto', 'exact', 'quantized' or 'ann', "
                f"got {self.dense_search!r}",
                field="dense_search",
            )
        if self.query_cache_size < 0 or not self.query_cache_ttl_s >= 0:
            raise ValidationError(
                "query_cache_size and query_cache_ttl_s must be >= 0", field="query_cache_size"
            )
        if self.on_embedder_change not in ("reembed", "error"):
            raise ValidationError(
                f"on_embedder_change must be 'reembed' or 'error', got {self.on_embedder_change!r}",
                field="on_embedder_change",
            )
        if self.backpressure not in ("wait", "raise"):
            raise ValidationError(
                f"backpressure must be 'wait' or 'raise', got {self.backpressure!r}",
                field="backpressure",
            )
