"""Compact constructors for the domain tables (every stack also gets git and the editor)."""

from __future__ import annotations

from .._vocabulary_types import Stack, TaskKind

__all__ = ["stack", "task_kind"]

_BASE = ("git", "editor")


def stack(
    language: str,
    framework: str | None,
    tools: tuple[str, ...],
    motifs: tuple[tuple[str, ...], ...],
    errors: tuple[str, ...],
    decisions: tuple[str, ...],
    artifacts: tuple[str, ...],
) -> Stack:
    """A :class:`Stack`; ``git`` and ``editor`` are added to ``tools``."""
    return Stack(
        language=language,
        framework=framework,
        tools=tools + _BASE,
        motifs=motifs,
        errors=errors,
        decisions=decisions,
        artifacts=artifacts,
    )


def task_kind(
    name: str,
    task_type: str,
    tags: tuple[str, ...],
    done: str,
    entities: tuple[str, ...],
    *paraphrases: str,
) -> TaskKind:
    """A :class:`TaskKind` whose paraphrases are the trailing arguments."""
    return TaskKind(
        name=name,
        task_type=task_type,
        paraphrases=paraphrases,
        entities=entities,
        tags=tags,
        done=done,
    )
