"""Bounded argument types shared by the tools: they become each tool's JSON schema.

The bounds mirror :class:`memory_core.Limits` defaults (SPEC §7) so a client sees
them up front; memory_core still validates every value (normalization, control
characters, serialized sizes) before anything is written. Scalars are strict: a
string is never coerced to a number nor a number to a bool.
"""

from typing import Annotated, Any, Literal

from pydantic import Field

from memory_core import TaskContext

from ..settings import NAMESPACE_PATTERN

__all__ = [
    "UUID_PATTERN",
    "Artifacts",
    "Complexity",
    "Count",
    "Description",
    "DurationMs",
    "EpisodeId",
    "FreeText",
    "Limit",
    "Namespace",
    "Offset",
    "OutcomeStatus",
    "Parameters",
    "PatternId",
    "PatternType",
    "Rate",
    "ShortName",
    "StrictFlag",
    "Tags",
    "Tokens",
    "task_context",
]

#: A canonical, hyphenated UUID (any version), as returned by start_episode.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_MAX_MS = 7 * 24 * 3600 * 1000

Namespace = Annotated[
    str | None,
    Field(
        pattern=NAMESPACE_PATTERN,
        max_length=64,
        description="Isolated memory to use (per agent or user); the server default when omitted.",
    ),
]
EpisodeId = Annotated[
    str, Field(pattern=UUID_PATTERN, max_length=36, description="Episode id (a UUID).")
]
PatternId = Annotated[
    str, Field(pattern=UUID_PATTERN, max_length=36, description="Pattern id (a UUID).")
]
Description = Annotated[str, Field(min_length=1, max_length=10_000)]
ShortName = Annotated[str, Field(min_length=1, max_length=200)]
FreeText = Annotated[str, Field(max_length=10_000)]
Tags = Annotated[
    list[Annotated[str, Field(min_length=2, max_length=100)]],
    Field(max_length=32, description="Up to 32 tags of 2-100 characters [a-z0-9_-]."),
]
Artifacts = Annotated[list[Annotated[str, Field(max_length=1_000)]], Field(max_length=100)]
Parameters = Annotated[
    dict[str, Any],
    Field(max_length=256, description="Tool parameters as a JSON object (at most 1 MB)."),
]
Complexity = Literal["simple", "moderate", "complex"]
OutcomeStatus = Literal["success", "partial", "failure", "abstained"]
PatternType = Literal["tool_sequence", "decision_point", "error_recovery", "context_pattern"]
DurationMs = Annotated[int, Field(strict=True, ge=0, le=_MAX_MS)]
Tokens = Annotated[int, Field(strict=True, ge=0, le=100_000_000)]
Limit = Annotated[int, Field(strict=True, ge=1, le=1_000)]
Offset = Annotated[int, Field(strict=True, ge=0, le=1_000_000)]
Count = Annotated[int, Field(strict=True, ge=1, le=1_000_000)]
Rate = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
StrictFlag = Annotated[bool, Field(strict=True)]


def task_context(
    domain: str | None,
    language: str | None,
    framework: str | None,
    tags: list[str] | None,
    complexity: Complexity = "moderate",
) -> TaskContext:
    """The TaskContext a tool's context arguments describe (domain defaults to ``"general"``)."""
    return TaskContext(
        language=language,
        domain=domain or "general",
        tags=tuple(tags or ()),
        framework=framework,
        complexity=complexity,
    )
