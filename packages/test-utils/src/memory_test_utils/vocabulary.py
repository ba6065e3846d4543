"""The vocabulary synthetic workloads are built from.

Eight domains (web, data, devops, ml, security, mobile, frontend, systems), each with
language/framework stacks, the tools those stacks use, tool motifs planted in episodes,
error kinds with their recoveries, check/decision steps, and paraphrased task templates.
Use it to write tests that know what a workload contains without generating one.
"""

from __future__ import annotations

import re
from functools import cache

from ._decisions import DECISIONS as DECISIONS
from ._domains import DOMAINS as DOMAINS
from ._errors import ERRORS as ERRORS
from ._tools import TOOLS as TOOLS
from ._vocabulary_types import Decision as Decision
from ._vocabulary_types import Domain as Domain
from ._vocabulary_types import ErrorKind as ErrorKind
from ._vocabulary_types import Stack as Stack
from ._vocabulary_types import TaskKind as TaskKind
from ._vocabulary_types import ToolSpec as ToolSpec

__all__ = [
    "DECISIONS",
    "DOMAINS",
    "ERRORS",
    "TOOLS",
    "Decision",
    "Domain",
    "ErrorKind",
    "Stack",
    "TaskKind",
    "ToolSpec",
    "domain_names",
    "error_class_of",
    "get_domain",
]


def domain_names() -> tuple[str, ...]:
    """Names of every domain, in generation order."""
    return tuple(domain.name for domain in DOMAINS)


def get_domain(name: str) -> Domain:
    """The domain called ``name``; raises :class:`KeyError` naming the known domains."""
    for domain in DOMAINS:
        if domain.name == name:
            return domain
    raise KeyError(f"unknown domain {name!r}; known domains: {', '.join(domain_names())}")


@cache
def _classifiers() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((kind.regex(), kind.error_class) for kind in ERRORS.values())


def error_class_of(message: str) -> str | None:
    """The normalized error class of a message rendered from the vocabulary, else None.

    The class is the error template with placeholders replaced by ``<num>``, ``<ip>``,
    ``<hex>``, ``<id>`` and ``<path>``, e.g.
    ``"Connection refused to <ip>:<num> (postgres)"``. It is the key of
    :attr:`memory_test_utils.workloads.Workload.planted_recoveries`.
    """
    for regex, error_class in _classifiers():
        if regex.fullmatch(message):
            return error_class
    return None
