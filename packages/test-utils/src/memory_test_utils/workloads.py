"""Synthetic agent workloads: realistic completed episodes with known ground truth.

:func:`generate_episodes` streams episodes (constant memory, any ``n``);
:func:`generate_workload` keeps them and counts what was planted, so learning tests can
compare mined patterns with exact numbers; :func:`generate_tool_sequences` makes integer
sequences for sequence-mining benchmarks. All three are pure functions of their arguments.

What an episode looks like: an agent (``metadata["agent"]``) works on a task of some kind
(``metadata["task_kind"]``, e.g. ``"web.rest_endpoint"``) described by one of several
paraphrases, in a domain and language/framework stack. Its steps are noise steps from the
stack's tools, often a planted tool motif (sometimes with a noise step inside it), sometimes
a failing step with a realistic error message followed by recovery steps and a successful
retry, often a check/decision step followed by the branch taken. Outcomes are mostly
successes (more often when the motif was used), then partial, failure and abstained.
Reward and reflection are left ``None``: the memory computes them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

import msgspec
import numpy as np

from memory_core.models import Episode

from ._builder import EpisodeBuilder
from ._options import Options
from .factories import BASE_TIME
from .vocabulary import error_class_of

__all__ = [
    "BASE_TIME",
    "Workload",
    "error_class_of",
    "generate_episodes",
    "generate_tool_sequences",
    "generate_workload",
]

_SEP = "\x1f"  # never part of a tool name


class Workload(msgspec.Struct, frozen=True, kw_only=True):
    """Episodes of one synthetic workload and the ground truth planted in them.

    Every count is a number of *episodes* (support), recounted from the generated steps:

    - ``planted_sequences``: motif -> episodes containing it as a contiguous run of tools.
    - ``planted_subsequences``: motif -> episodes containing it as a gapped subsequence
      (at least ``planted_sequences``; noise steps inside a motif make the difference).
    - ``sequence_successes``: motif -> episodes counted in ``planted_sequences`` whose
      outcome status is ``"success"``.
    - ``planted_errors``: normalized error class -> episodes with a failed step of that class.
    - ``planted_recoveries``: error class -> episodes where a failed step of that class is
      directly followed by a successful step.
    - ``recovery_steps``: error class -> the tools of its planted recovery, in order (the
      successful retry of the failed tool follows them).
    - ``planted_decisions``: (check action, next action) -> episodes where a step with the
      first action is directly followed by one with the second.
    - ``task_kinds``, ``domains``, ``statuses``, ``agents``: episodes per value.

    Keys cover everything the options could plant, with zero counts for what did not occur.
    Error classes are the keys :func:`error_class_of` returns.
    """

    seed: int
    episodes: list[Episode]
    planted_sequences: dict[tuple[str, ...], int]
    planted_subsequences: dict[tuple[str, ...], int]
    sequence_successes: dict[tuple[str, ...], int]
    planted_errors: dict[str, int]
    planted_recoveries: dict[str, int]
    recovery_steps: dict[str, tuple[str, ...]]
    planted_decisions: dict[tuple[str, str], int]
    task_kinds: dict[str, int]
    domains: dict[str, int]
    statuses: dict[str, int]
    agents: dict[str, int]

    def __repr__(self) -> str:
        return (
            f"Workload(seed={self.seed}, episodes=<{len(self.episodes)} episodes>, "
            f"statuses={self.statuses}, motifs={len(self.planted_sequences)}, "
            f"error_classes={len(self.planted_errors)}, decisions={len(self.planted_decisions)})"
        )


def _options(
    seed: int,
    domains: Sequence[str] | None,
    agents: int,
    motif_rate: float,
    noise_rate: float,
    error_rate: float,
    decision_rate: float,
    motifs: Mapping[str, Sequence[Sequence[str]]] | None,
    start: datetime | None,
    interval_s: float,
) -> Options:
    return Options(
        seed=seed,
        domains=domains,
        agents=agents,
        motif_rate=motif_rate,
        noise_rate=noise_rate,
        error_rate=error_rate,
        decision_rate=decision_rate,
        motifs=motifs,
        start=BASE_TIME if start is None else start,
        interval_s=interval_s,
    )


def _check_n(n: int) -> None:
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")


def generate_episodes(
    n: int,
    *,
    seed: int = 0,
    domains: Sequence[str] | None = None,
    agents: int = 64,
    motif_rate: float = 0.55,
    noise_rate: float = 0.25,
    error_rate: float = 0.3,
    decision_rate: float = 0.5,
    motifs: Mapping[str, Sequence[Sequence[str]]] | None = None,
    start: datetime | None = None,
    interval_s: float = 120.0,
) -> Iterator[Episode]:
    """Yield ``n`` realistic completed episodes, one at a time (nothing is kept).

    Same arguments, same episodes, byte for byte; the first ``k`` episodes do not depend
    on ``n``. Arguments are checked at the call, not at the first ``next()``. The options
    are those of :func:`generate_workload`.
    """
    _check_n(n)
    options = _options(
        seed,
        domains,
        agents,
        motif_rate,
        noise_rate,
        error_rate,
        decision_rate,
        motifs,
        start,
        interval_s,
    )
    return _stream(EpisodeBuilder(options), n)


def _stream(builder: EpisodeBuilder, n: int) -> Iterator[Episode]:
    build = builder.build
    for index in range(n):
        yield build(index)[0]


def generate_workload(
    n: int,
    *,
    seed: int = 0,
    domains: Sequence[str] | None = None,
    agents: int = 64,
    motif_rate: float = 0.55,
    noise_rate: float = 0.25,
    error_rate: float = 0.3,
    decision_rate: float = 0.5,
    motifs: Mapping[str, Sequence[Sequence[str]]] | None = None,
    start: datetime | None = None,
    interval_s: float = 120.0,
) -> Workload:
    """Generate ``n`` episodes (the same as :func:`generate_episodes`) with their ground truth.

    Args:
        n: number of episodes.
        seed: the only source of randomness.
        domains: restrict to these domains (see :func:`.vocabulary.domain_names`).
        agents: number of distinct agents (``metadata["agent"]``); activity is skewed.
        motif_rate: probability that an episode contains one of its stack's motifs.
        noise_rate: probability that a planted motif gets a noise step inserted inside it.
        error_rate: probability of a failed step followed by recovery and a retry.
        decision_rate: probability of a check/decision step followed by its branch.
        motifs: per domain name, tool sequences to plant instead of the vocabulary's.
        start: UTC start of the timeline (default :data:`BASE_TIME`).
        interval_s: mean time between the starts of consecutive episodes.
    """
    _check_n(n)
    options = _options(
        seed,
        domains,
        agents,
        motif_rate,
        noise_rate,
        error_rate,
        decision_rate,
        motifs,
        start,
        interval_s,
    )
    builder = EpisodeBuilder(options)
    tally = _Tally(builder)
    episodes = []
    for index in range(n):
        episode, failures = builder.build(index)
        tally.add(episode, failures)
        episodes.append(episode)
    return tally.workload(seed, episodes)


class _Tally:
    """Counts the ground truth of a workload from the generated steps themselves."""

    def __init__(self, builder: EpisodeBuilder) -> None:
        motifs: dict[tuple[str, ...], None] = {}
        recovery: dict[str, tuple[str, ...]] = {}
        decisions: dict[tuple[str, str], None] = {}
        self.kinds: dict[str, int] = {}
        for domain in builder.domains:
            for kind in domain.kinds:
                self.kinds[kind.name] = 0
            for stack in domain.stacks:
                for motif in stack.motifs:
                    motifs[tuple(tool.name for tool in motif)] = None
                for error in stack.errors:
                    recovery[error.error_class] = tuple(tool.name for tool, _ in error.recovery)
                for _, condition, yes, no, _ in stack.decisions:
                    decisions[(condition, yes[1])] = None
                    decisions[(condition, no[1])] = None
        self.motifs = [(m, frozenset(m), _SEP + _SEP.join(m) + _SEP) for m in motifs]
        self.contiguous = dict.fromkeys(motifs, 0)
        self.gapped = dict.fromkeys(motifs, 0)
        self.successes = dict.fromkeys(motifs, 0)
        self.recovery = recovery
        self.errors = dict.fromkeys(recovery, 0)
        self.recovered = dict.fromkeys(recovery, 0)
        self.decisions = dict.fromkeys(decisions, 0)
        self.conditions = frozenset(condition for condition, _ in decisions)
        self.domains = {domain.name: 0 for domain in builder.domains}
        self.statuses = dict.fromkeys(("success", "partial", "failure", "abstained"), 0)
        self.agents: dict[str, int] = {}

    def add(self, episode: Episode, failures: list[tuple[int, str]]) -> None:
        steps = episode.steps
        tools = [step.tool for step in steps]
        status = episode.outcome.status if episode.outcome is not None else None
        present = frozenset(tools)
        haystack = _SEP + _SEP.join(tools) + _SEP
        for motif, needed, needle in self.motifs:
            if needed <= present:
                if needle in haystack:
                    self.contiguous[motif] += 1
                    self.gapped[motif] += 1
                    if status == "success":
                        self.successes[motif] += 1
                else:
                    it = iter(tools)
                    if all(tool in it for tool in motif):
                        self.gapped[motif] += 1
        seen: set[str] = set()
        recovered: set[str] = set()
        for position, error_class in failures:
            seen.add(error_class)
            if position + 1 < len(steps) and steps[position + 1].success:
                recovered.add(error_class)
        for error_class in seen:
            self.errors[error_class] += 1
        for error_class in recovered:
            self.recovered[error_class] += 1
        pairs = {
            (step.action, steps[i + 1].action)
            for i, step in enumerate(steps[:-1])
            if step.action in self.conditions
        }
        for pair in pairs:
            if pair in self.decisions:
                self.decisions[pair] += 1
        self.kinds[episode.metadata["task_kind"]] += 1
        self.domains[episode.context.domain] += 1
        if status is not None:
            self.statuses[status] += 1
        agent = episode.metadata["agent"]
        self.agents[agent] = self.agents.get(agent, 0) + 1

    def workload(self, seed: int, episodes: list[Episode]) -> Workload:
        return Workload(
            seed=seed,
            episodes=episodes,
            planted_sequences=self.contiguous,
            planted_subsequences=self.gapped,
            sequence_successes=self.successes,
            planted_errors=self.errors,
            planted_recoveries=self.recovered,
            recovery_steps=self.recovery,
            planted_decisions=self.decisions,
            task_kinds=self.kinds,
            domains=self.domains,
            statuses=self.statuses,
            agents=dict(sorted(self.agents.items())),
        )


def generate_tool_sequences(
    n: int,
    *,
    seed: int = 0,
    alphabet: int = 100,
    mean_length: float = 17.5,
    planted: int = 8,
    planted_support: tuple[float, float] = (0.02, 0.1),
) -> list[list[int]]:
    """Random integer sequences for mining benchmarks, with frequent patterns planted.

    Lengths are ``1 + Poisson(mean_length - 1)`` (mean ``mean_length``); items are uniform
    in ``range(alphabet)``. Then ``planted`` patterns of 3 to 6 items are each written as a
    contiguous run into a random fraction (drawn from ``planted_support``) of the sequences
    long enough to hold them; later patterns may overwrite earlier ones. Deterministic for
    a seed; 100k sequences take well under a second.
    """
    _check_n(n)
    if alphabet < 1:
        raise ValueError(f"alphabet must be at least 1, got {alphabet}")
    if mean_length < 1:
        raise ValueError(f"mean_length must be at least 1, got {mean_length}")
    low, high = planted_support
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(f"planted_support must satisfy 0 <= low <= high <= 1, got {low, high}")
    rng = np.random.default_rng(seed)
    lengths = 1 + rng.poisson(mean_length - 1, size=n)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    flat = rng.integers(0, alphabet, size=int(ends[-1]) if n else 0, dtype=np.int64)
    for _ in range(planted):
        size = int(rng.integers(3, 7))
        pattern = rng.integers(0, alphabet, size=size)
        rate = rng.uniform(low, high)
        chosen = np.flatnonzero((lengths >= size) & (rng.random(n) < rate))
        offsets = starts[chosen] + (rng.random(chosen.size) * (lengths[chosen] - size + 1)).astype(
            np.int64
        )
        for k in range(size):
            flat[offsets + k] = pattern[k]
    items: list[int] = flat.tolist()
    return [items[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
