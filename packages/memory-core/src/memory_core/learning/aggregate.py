"""Aggregated statistics across episodes, keyed by canonical pattern keys.

Adding an episode's observations increments per-key counters; removing a
deleted episode's observations decrements them, so supports always equal the
number of stored episodes that contain a pattern. Keys are canonical (tool
tuples, normalized error classes and actions, context features), which makes
merging deterministic: the same error from many episodes lands on one key.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import _kernels
from .extract import EpisodeObservations

__all__ = [
    "Aggregates",
    "ContextStat",
    "DecisionStat",
    "ErrorStat",
    "PatternKey",
    "SequenceCorpus",
    "SequenceStat",
    "ngrams",
]

#: (kind, canonical key): kind is "seq", "decision", "error" or "context"; the
#: canonical key is a tool tuple, a (check, action) pair, an error class or a
#: tuple of context features.
PatternKey = tuple[str, Any]

_KEYWORDS_KEPT = 64


class SequenceStat:
    """Support, successes and latency of one contiguous tool n-gram."""

    __slots__ = ("domains", "latency_sum", "successes", "support")

    def __init__(self) -> None:
        self.support = 0
        self.successes = 0
        self.latency_sum = 0.0
        self.domains: Counter[str] = Counter()


class _EvidenceStat:
    __slots__ = ("evidence", "keywords", "successes", "support")

    def __init__(self) -> None:
        self.support = 0
        self.successes = 0
        self.evidence: list[object] = []
        self.keywords: Counter[str] = Counter()

    def count(self, obs: EpisodeObservations, sign: int, max_evidence: int) -> None:
        self.support += sign
        self.successes += sign * obs.success
        if sign > 0:
            if len(self.evidence) < max_evidence:
                self.evidence.append(obs.episode_id)
            self.keywords.update(obs.keywords)
            if len(self.keywords) > 4 * _KEYWORDS_KEPT:
                self.keywords = Counter(dict(self.keywords.most_common(_KEYWORDS_KEPT)))
        else:
            if obs.episode_id in self.evidence:
                self.evidence.remove(obs.episode_id)
            self.keywords.subtract(obs.keywords)


class DecisionStat(_EvidenceStat):
    """Episodes in which a check was followed by an action, and how they ended."""

    __slots__ = ("domains",)

    def __init__(self) -> None:
        super().__init__()
        self.domains: Counter[str] = Counter()


class ErrorStat(_EvidenceStat):
    """Episodes with a failure of one error class, recoveries and recovery routes."""

    __slots__ = ("domains", "recovered", "routes")

    def __init__(self) -> None:
        super().__init__()
        self.recovered = 0
        self.routes = RunningMode()
        self.domains: Counter[str] = Counter()


class RunningMode:
    """A counter that knows its most frequent key (ties: smallest key) without rescanning.

    Increments update the leader in O(1); only decrementing the leader forces a
    rescan, lazily, on the next read.
    """

    __slots__ = ("_best", "counts")

    def __init__(self) -> None:
        self.counts: Counter[Any] = Counter()
        self._best: Any = None

    def add(self, key: Any, sign: int) -> None:
        """Change ``key``'s count by ``sign``."""
        counts = self.counts
        n = counts[key] + sign
        if n <= 0:
            counts.pop(key, None)
        else:
            counts[key] = n
        best = self._best
        if sign > 0:
            if best is None:
                if len(counts) == 1:
                    self._best = key
            elif key != best:
                best_n = counts[best]
                if n > best_n or (n == best_n and key < best):
                    self._best = key
        elif key == best:
            self._best = None

    def mode(self) -> Any:
        """The most frequent key (ties: the smallest), or None when empty."""
        if self._best is None and self.counts:
            self._best = min(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        return self._best


class ContextStat(_EvidenceStat):
    """Episodes sharing context features, and the approaches that succeeded."""

    __slots__ = ("approaches",)

    def __init__(self) -> None:
        super().__init__()
        self.approaches = RunningMode()


def ngrams(tools: tuple[str, ...], min_n: int, max_n: int) -> dict[tuple[str, ...], int]:
    """Distinct contiguous n-grams of ``tools`` with the index of their first occurrence."""
    found: dict[tuple[str, ...], int] = {}
    for n in range(min_n, max_n + 1):
        for start in range(len(tools) - n + 1):
            found.setdefault(tools[start : start + n], start)
    return found


class Aggregates:
    """All counters learning keeps; ``add``/``remove`` return the keys they touched."""

    def __init__(self, *, min_n: int, max_n: int, max_evidence: int, max_candidates: int) -> None:
        self.min_n = min_n
        self.max_n = max_n
        self.max_evidence = max_evidence
        self.max_candidates = max_candidates
        self.sequences: dict[tuple[str, ...], SequenceStat] = {}
        self.decisions: dict[tuple[str, str], DecisionStat] = {}
        self.errors: dict[str, ErrorStat] = {}
        self.contexts: dict[tuple[str, ...], ContextStat] = {}
        self.episodes = 0
        self.pruned = 0

    def _count_sequences(self, obs: EpisodeObservations, sign: int) -> set[PatternKey]:
        touched: set[PatternKey] = set()
        for gram, start in ngrams(obs.tools, self.min_n, self.max_n).items():
            stat = self.sequences.get(gram)
            if stat is None:
                if sign < 0:
                    continue
                stat = self.sequences[gram] = SequenceStat()
            stat.support += sign
            stat.successes += sign * obs.success
            stat.latency_sum += sign * sum(obs.latencies[start : start + len(gram)])
            stat.domains[obs.domain] += sign
            if stat.support <= 0:
                del self.sequences[gram]
            touched.add(("seq", gram))
        return touched

    def apply(
        self, obs: EpisodeObservations, sign: int, *, sequences: bool = True
    ) -> set[PatternKey]:
        """Add (sign=+1) or remove (sign=-1) one episode's observations.

        ``sequences=False`` leaves tool n-grams out (a bulk load counts them
        with the compiled kernel instead, see :class:`SequenceCorpus`).
        """
        self.episodes += sign
        touched = self._count_sequences(obs, sign) if sequences else set()
        for key in obs.decisions:
            decision = self.decisions.get(key)
            if decision is None:
                if sign < 0:
                    continue
                decision = self.decisions[key] = DecisionStat()
            decision.count(obs, sign, self.max_evidence)
            decision.domains[obs.domain] += sign
            if decision.support <= 0:
                del self.decisions[key]
            touched.add(("decision", key))
        for error_class, seen in obs.errors.items():
            error = self.errors.get(error_class)
            if error is None:
                if sign < 0:
                    continue
                error = self.errors[error_class] = ErrorStat()
            error.count(obs, sign, self.max_evidence)
            error.recovered += sign * seen.recovered
            error.domains[obs.domain] += sign
            if seen.recovery_tools:
                error.routes.add(seen.recovery_tools, sign)
            if error.support <= 0:
                del self.errors[error_class]
            touched.add(("error", error_class))
        context = self.contexts.get(obs.context_key)
        if context is None and sign > 0:
            context = self.contexts[obs.context_key] = ContextStat()
        if context is not None:
            context.count(obs, sign, self.max_evidence)
            if obs.approach:
                context.approaches.add(obs.approach, sign)
            if context.support <= 0:
                del self.contexts[obs.context_key]
            touched.add(("context", obs.context_key))
        if len(self.sequences) > self.max_candidates:
            self.prune()
        return touched

    def add_many(self, observations: Iterable[EpisodeObservations]) -> set[PatternKey]:
        """Add several episodes; the union of touched keys."""
        touched: set[PatternKey] = set()
        for obs in observations:
            touched |= self.apply(obs, +1)
        return touched

    def load_sequences(self, corpus: SequenceCorpus) -> None:
        """Replace the n-gram counters with a bulk count of ``corpus``."""
        self.sequences = corpus.mine(self.min_n, self.max_n, 1)
        if len(self.sequences) > self.max_candidates:
            self.pruned += len(self.sequences)
            self.sequences = corpus.mine(self.min_n, self.max_n, 2)
            self.pruned -= len(self.sequences)

    def prune(self) -> None:
        """Drop n-gram candidates seen in a single episode (bounded memory)."""
        singles = [gram for gram, stat in self.sequences.items() if stat.support <= 1]
        for gram in singles:
            del self.sequences[gram]
        self.pruned += len(singles)


class _Encoded:
    __slots__ = ("offsets", "success", "tokens", "weights")

    def __init__(self) -> None:
        self.tokens = array("i")
        self.offsets = array("q", [0])
        self.success = array("b")
        self.weights = array("d")


class SequenceCorpus:
    """Tool sequences of many episodes, integer-encoded per domain, for the n-gram kernel.

    Counting per domain gives each n-gram's domain distribution for free; the
    kernel counts support, successes and first-occurrence latency exactly as
    the incremental path does, so a bulk load and incremental learning agree.
    """

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self._names: list[str] = []
        self._domains: dict[str, _Encoded] = {}

    def __len__(self) -> int:
        return sum(len(enc.success) for enc in self._domains.values())

    def add(self, obs: EpisodeObservations) -> None:
        """Append one episode's tools, outcome and step latencies."""
        encoded = self._domains.get(obs.domain)
        if encoded is None:
            encoded = self._domains[obs.domain] = _Encoded()
        codes = self._codes
        for tool in obs.tools:
            code = codes.get(tool)
            if code is None:
                code = codes[tool] = len(self._names)
                self._names.append(tool)
            encoded.tokens.append(code)
        encoded.offsets.append(len(encoded.tokens))
        encoded.success.append(obs.success)
        encoded.weights.extend(obs.latencies)

    def mine(self, min_n: int, max_n: int, min_support: int) -> dict[tuple[str, ...], SequenceStat]:
        """Every n-gram held by at least ``min_support`` episodes of one domain."""
        found: dict[tuple[str, ...], SequenceStat] = {}
        names = self._names
        for domain in sorted(self._domains):
            encoded = self._domains[domain]
            result = _kernels.mine_ngrams(
                np.frombuffer(encoded.tokens, dtype=np.int32),
                np.frombuffer(encoded.offsets, dtype=np.int64),
                min_n=min_n,
                max_n=max_n,
                min_support=min_support,
                success=np.frombuffer(encoded.success, dtype=np.int8).astype(bool),
                weights=np.frombuffer(encoded.weights, dtype=np.float64),
                n_items=max(1, len(names)),
            )
            for row, length, support, successes, weight in zip(
                result.grams.tolist(),
                result.lengths.tolist(),
                result.support.tolist(),
                result.successes.tolist(),
                result.weight_sum.tolist(),
                strict=True,
            ):
                gram = tuple([names[code] for code in row[:length]])
                stat = found.get(gram)
                if stat is None:
                    stat = found[gram] = SequenceStat()
                stat.support += support
                stat.successes += successes
                stat.latency_sum += weight
                stat.domains[domain] += support
        return found
