"""Who may do what: scopes, principals and the access decisions of the HTTP transport.

Scopes nest: ``admin`` includes ``write``, which includes ``read``.

========= ===========================================================================
``read``  query and read back: ``query_memory``, ``get_episode``, ``list_episodes``,
          ``analyze_patterns``, ``recommend_patterns``, ``get_heuristics``,
          ``health_check``, ``get_stats`` and the resources
``write`` record: ``start_episode``, ``log_step``, ``complete_episode``,
          ``record_pattern_feedback``
``admin`` destroy or administer: ``delete_episode`` and ``GET /metrics``
========= ===========================================================================

Each tool's scope is declared once, in :data:`memory_mcp.tools.TOOL_SCOPES`; a tool
missing there needs ``admin`` (fail closed). A principal also lists the namespaces it
may touch (or every namespace). Decisions are pure functions of the principal and the
request, so they are the same over every transport that authenticates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Literal, get_args

import msgspec

__all__ = [
    "ALL_NAMESPACES",
    "SCOPES",
    "Decision",
    "Principal",
    "Scope",
    "check_namespace",
    "check_scope",
    "check_tool_call",
    "implied_scopes",
    "parse_scope",
]

Scope = Literal["read", "write", "admin"]

#: Every scope, weakest first; each includes the ones before it.
SCOPES: Final[tuple[Scope, ...]] = get_args(Scope)
#: The namespace list entry granting every namespace.
ALL_NAMESPACES: Final = "*"


def parse_scope(value: object) -> Scope:
    """``value`` as a :data:`Scope`, else :class:`ValueError` naming the valid ones."""
    for scope in SCOPES:
        if value == scope:
            return scope
    raise ValueError(f"unknown scope {str(value)[:40]!r}; valid: {', '.join(SCOPES)}")


def implied_scopes(scopes: Iterable[Scope]) -> frozenset[Scope]:
    """``scopes`` with every scope they include (``admin`` ⊇ ``write`` ⊇ ``read``)."""
    granted: set[Scope] = set()
    for scope in scopes:
        granted.update(SCOPES[: SCOPES.index(scope) + 1])
    return frozenset(granted)


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """An authenticated caller of the HTTP transport.

    Attributes:
        name: the token's name (what audit records show; never the token).
        scopes: the scopes granted, including the implied ones.
        namespaces: the namespaces it may touch; ``None`` means every namespace.
    """

    name: str
    scopes: frozenset[Scope]
    namespaces: frozenset[str] | None = None

    @classmethod
    def create(
        cls, name: str, scopes: Iterable[Scope], namespaces: Iterable[str] | None = None
    ) -> Principal:
        """A principal with the implied scopes added; ``"*"`` in ``namespaces`` means all."""
        allowed = None if namespaces is None else frozenset(namespaces)
        if allowed is not None and ALL_NAMESPACES in allowed:
            allowed = None
        return cls(name=name, scopes=implied_scopes(scopes), namespaces=allowed)

    def has_scope(self, scope: Scope) -> bool:
        """Whether this principal was granted ``scope`` (directly or through a larger one)."""
        return scope in self.scopes

    def may_access(self, namespace: str) -> bool:
        """Whether this principal may touch ``namespace``."""
        return self.namespaces is None or namespace in self.namespaces


class Decision(msgspec.Struct, frozen=True):
    """The outcome of an access check: ``allowed``, or refused with a ``reason``."""

    allowed: bool
    reason: str = ""


_ALLOW: Final = Decision(True)


def check_scope(principal: Principal, scope: Scope, action: str) -> Decision:
    """Whether ``principal`` holds ``scope``, which ``action`` (e.g. ``start_episode``) needs."""
    if principal.has_scope(scope):
        return _ALLOW
    return Decision(
        False, f"token {principal.name!r} lacks the {scope!r} scope required by {action}"
    )


def check_namespace(principal: Principal, namespace: str) -> Decision:
    """Whether ``principal`` may touch ``namespace``."""
    if principal.may_access(namespace):
        return _ALLOW
    return Decision(False, f"token {principal.name!r} may not access namespace {namespace!r}")


def check_tool_call(
    principal: Principal, tool: str, namespace: str, tool_scopes: Mapping[str, Scope]
) -> Decision:
    """Scope, then namespace: may ``principal`` call ``tool`` on ``namespace``?

    A tool missing from ``tool_scopes`` needs ``admin``.
    """
    scope = tool_scopes.get(tool, "admin")
    decision = check_scope(principal, scope, tool)
    if not decision.allowed:
        return decision
    return check_namespace(principal, namespace)
