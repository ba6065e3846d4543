"""Hard filters a retrieval may apply before ranking (domain, tags, outcome, time)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from ..models import OutcomeStatus

__all__ = ["RetrievalFilters"]


class RetrievalFilters(msgspec.Struct, frozen=True, kw_only=True):
    """Which episodes a retrieval may return; unset fields do not filter.

    Attributes:
        domain: only episodes of this domain (lower-case).
        tags: only episodes carrying every one of these tags.
        outcome: only episodes whose outcome has this status.
        since / until: only episodes completed in ``[since, until)``.
    """

    domain: str | None = None
    tags: tuple[str, ...] = ()
    outcome: OutcomeStatus | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def active(self) -> bool:
        """True when any field filters."""
        return bool(
            self.domain is not None
            or self.tags
            or self.outcome is not None
            or self.since is not None
            or self.until is not None
        )
