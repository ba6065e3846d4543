"""The validated options of a synthetic workload."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from ._vocabulary_types import Domain, Stack
from .vocabulary import DOMAINS, get_domain

__all__ = ["Options"]


class Options:
    """Validated knobs of a workload (see :func:`memory_test_utils.workloads.generate_workload`)."""

    __slots__ = (
        "agents",
        "decision_rate",
        "domains",
        "error_rate",
        "interval_ms",
        "motif_rate",
        "motifs",
        "noise_rate",
        "seed",
        "start",
    )

    def __init__(
        self,
        *,
        seed: int,
        domains: Sequence[str] | None,
        agents: int,
        motif_rate: float,
        noise_rate: float,
        error_rate: float,
        decision_rate: float,
        motifs: Mapping[str, Sequence[Sequence[str]]] | None,
        start: datetime,
        interval_s: float,
    ) -> None:
        if not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        if agents < 1:
            raise ValueError(f"agents must be at least 1, got {agents}")
        rates = (
            ("motif_rate", motif_rate),
            ("noise_rate", noise_rate),
            ("error_rate", error_rate),
            ("decision_rate", decision_rate),
        )
        for name, rate in rates:
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {rate}")
        if start.tzinfo is None or start.utcoffset() != timedelta(0):
            raise ValueError(f"start must be a timezone-aware UTC datetime, got {start!r}")
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        self.seed = seed
        if isinstance(domains, str):
            raise TypeError("domains must be a sequence of domain names, not one string")
        try:
            self.domains: tuple[Domain, ...] = (
                DOMAINS if domains is None else tuple(get_domain(name) for name in domains)
            )
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        if not self.domains:
            raise ValueError("domains must name at least one domain")
        self.agents = agents
        self.motif_rate = motif_rate
        self.noise_rate = noise_rate
        self.error_rate = error_rate
        self.decision_rate = decision_rate
        if motifs is not None:
            known = {domain.name for domain in self.domains}
            unknown = sorted(name for name in motifs if name not in known)
            if unknown:
                raise ValueError(f"motifs name domains not generated: {', '.join(unknown)}")
        self.motifs = motifs
        self.start = start
        self.interval_ms = int(interval_s * 1000)

    def stack_motifs(self, domain: Domain, stack: Stack) -> tuple[tuple[str, ...], ...]:
        """The motifs planted in episodes of ``stack`` (overridden per domain if asked)."""
        if self.motifs is not None and domain.name in self.motifs:
            return tuple(tuple(motif) for motif in self.motifs[domain.name] if motif)
        return stack.motifs
