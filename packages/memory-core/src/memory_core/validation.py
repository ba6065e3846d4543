"""Zero-trust validation of every input, before anything is stored.

Each ``validate_*`` function either returns a normalized value or raises
:class:`memory_core.errors.ValidationError` whose message names the field,
what is wrong, and the limit. Normalization is limited to what a user would
expect: tags are stripped and lower-cased, control characters in free text
(tool output) are escaped, and lists become tuples.

Text rules: NUL and lone surrogates are rejected everywhere. Short
identifier-like fields (tool, domain, language, ...) reject every control
character; long free text (observations, errors, results) keeps tab, newline
and carriage return and escapes the other control characters as ``\\xNN``.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import msgspec

from .codec import encode_json, encode_msgpack
from .config import Limits
from .errors import ValidationError
from .models import (
    RECORD_SCHEMA_VERSION,
    Episode,
    ExecutionStep,
    Reflection,
    RewardScore,
    TaskContext,
    TaskOutcome,
)
from .retrieval.filters import RetrievalFilters
from .storage.protocol import EpisodeQuery

__all__ = [
    "check_episode_size",
    "normalize_tags",
    "validate_context",
    "validate_episode",
    "validate_episode_id",
    "validate_episode_query",
    "validate_limit",
    "validate_metadata",
    "validate_name",
    "validate_outcome",
    "validate_step",
    "validate_task_description",
]

_TAG_RE = re.compile(r"[a-z0-9_-]+")
_ANY_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_ESCAPED_CONTROL_RE = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1
_COMPLEXITIES = ("simple", "moderate", "complex")
_STATUSES = ("success", "partial", "failure", "abstained")


def _fail(field: str, problem: str) -> ValidationError:
    return ValidationError(f"{field}: {problem}", field=field)


def _check_encodable(value: str, field: str) -> None:
    if "\x00" in value:
        raise _fail(field, "contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _fail(field, "contains a lone surrogate, which is not valid unicode text") from exc


def _short_text(value: object, field: str, limit: int, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise _fail(field, f"must be a string, got {type(value).__name__}")
    value = value.strip()
    if not value and not allow_empty:
        raise _fail(field, "must not be empty")
    if len(value) > limit:
        raise _fail(field, f"is {len(value)} characters long; the limit is {limit}")
    _check_encodable(value, field)
    if _ANY_CONTROL_RE.search(value):
        raise _fail(field, "contains a control character")
    return value


def _free_text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise _fail(field, f"must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise _fail(field, f"is {len(value)} characters long; the limit is {limit}")
    _check_encodable(value, field)
    if _ESCAPED_CONTROL_RE.search(value):
        value = _ESCAPED_CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def _optional_free_text(value: object, field: str, limit: int) -> str | None:
    return None if value is None else _free_text(value, field, limit)


def _optional_short_text(value: object, field: str, limit: int) -> str | None:
    if value is None:
        return None
    text = _short_text(value, field, limit, allow_empty=True)
    return text or None


def _bounded_int(value: object, field: str, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(field, f"must be an integer, got {type(value).__name__}")
    if value < 0 or value > maximum:
        raise _fail(field, f"must be between 0 and {maximum}, got {value}")
    return value


def _aware_datetime(value: object, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise _fail(field, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _fail(field, "must be timezone-aware (UTC recommended)")
    return value


def _json_sized(value: object, field: str, limit: int) -> int:
    try:
        size = len(encode_json(value))
    except (TypeError, ValueError, OverflowError) as exc:
        raise _fail(field, f"must be JSON-serializable ({exc})") from exc
    if size > limit:
        raise _fail(field, f"is {size} bytes serialized; the limit is {limit} bytes")
    return size


def _check_json_value(value: object, field: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(field, "contains a non-finite number (NaN or infinity)")
    if isinstance(value, int) and not _INT_MIN <= value <= _INT_MAX:
        raise _fail(field, f"contains an integer outside [{_INT_MIN}, {_INT_MAX}]")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _fail(field, f"keys must be strings, got {type(key).__name__}")
            _check_encodable(key, field)
            _check_json_value(item, field)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_json_value(item, field)
    elif isinstance(value, str):
        _check_encodable(value, field)


def normalize_tags(tags: object, limits: Limits, field: str = "tags") -> tuple[str, ...]:
    """Strip, lower-case and de-duplicate tags (order kept); enforce count and charset."""
    if isinstance(tags, str) or not isinstance(tags, Iterable):
        raise _fail(field, "must be a list of strings")
    normalized: list[str] = []
    for position, tag in enumerate(tags):
        if not isinstance(tag, str):
            raise _fail(f"{field}[{position}]", f"must be a string, got {type(tag).__name__}")
        value = tag.strip().lower()
        if not limits.min_tag_chars <= len(value) <= limits.max_tag_chars:
            raise _fail(
                f"{field}[{position}]",
                f"must be {limits.min_tag_chars}-{limits.max_tag_chars} characters "
                f"after normalization, got {len(value)}",
            )
        if not _TAG_RE.fullmatch(value):
            raise _fail(
                f"{field}[{position}]",
                f"{value[:40]!r} may only contain a-z, 0-9, '_' and '-'",
            )
        if value not in normalized:
            normalized.append(value)
    if len(normalized) > limits.max_tags:
        raise _fail(field, f"has {len(normalized)} tags; the limit is {limits.max_tags}")
    return tuple(normalized)


def validate_name(value: object, limits: Limits, field: str) -> str:
    """A short, non-empty, single-line name (tool, domain, task type, ...)."""
    return _short_text(value, field, limits.max_short_text_chars)


def validate_task_description(text: object, limits: Limits) -> str:
    """A non-empty task description within the configured length."""
    value = _free_text(text, "task_description", limits.max_task_description_chars)
    if not value.strip():
        raise _fail("task_description", "must not be empty")
    return value


def validate_context(context: object, limits: Limits) -> TaskContext:
    """Check a :class:`TaskContext` and return it with normalized fields."""
    if not isinstance(context, TaskContext):
        raise _fail("context", f"must be a TaskContext, got {type(context).__name__}")
    short = limits.max_short_text_chars
    complexity = context.complexity
    if complexity not in _COMPLEXITIES:
        raise _fail("context.complexity", f"must be one of {_COMPLEXITIES}, got {complexity!r}")
    return TaskContext(
        language=_optional_short_text(context.language, "context.language", short),
        domain=_short_text(context.domain, "context.domain", short).lower(),
        tags=normalize_tags(context.tags, limits, "context.tags"),
        framework=_optional_short_text(context.framework, "context.framework", short),
        complexity=complexity,
    )


def validate_metadata(metadata: object, limits: Limits) -> dict[str, Any]:
    """Metadata must be a JSON object with string keys, finite numbers, within its size limit."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise _fail("metadata", f"must be a mapping, got {type(metadata).__name__}")
    _check_json_value(metadata, "metadata")
    _json_sized(metadata, "metadata", limits.max_metadata_bytes)
    return dict(metadata)


def validate_step(step: object, limits: Limits) -> ExecutionStep:
    """Check an :class:`ExecutionStep` and return it with normalized text."""
    if not isinstance(step, ExecutionStep):
        raise _fail("step", f"must be an ExecutionStep, got {type(step).__name__}")
    if not isinstance(step.success, bool):
        raise _fail("step.success", f"must be a bool, got {type(step.success).__name__}")
    parameters = step.parameters
    if parameters is not None:
        if not isinstance(parameters, Mapping):
            raise _fail("step.parameters", f"must be a mapping, got {type(parameters).__name__}")
        _check_json_value(parameters, "step.parameters")
        _json_sized(parameters, "step.parameters", limits.max_parameters_bytes)
        parameters = dict(parameters)
    return ExecutionStep(
        tool=_short_text(step.tool, "step.tool", limits.max_short_text_chars),
        action=_short_text(step.action, "step.action", limits.max_action_chars),
        latency_ms=_bounded_int(step.latency_ms, "step.latency_ms", limits.max_latency_ms),
        tokens=_bounded_int(step.tokens, "step.tokens", limits.max_tokens),
        success=step.success,
        observation=_free_text(step.observation, "step.observation", limits.max_observation_chars),
        parameters=parameters,
        error=_optional_free_text(step.error, "step.error", limits.max_error_chars),
        timestamp=_aware_datetime(step.timestamp, "step.timestamp"),
        step_number=step.step_number,
    )


def validate_outcome(outcome: object, limits: Limits) -> TaskOutcome:
    """Check a :class:`TaskOutcome`: types, lengths, and a status consistent with ``success``."""
    if not isinstance(outcome, TaskOutcome):
        raise _fail("outcome", f"must be a TaskOutcome, got {type(outcome).__name__}")
    if not isinstance(outcome.success, bool):
        raise _fail("outcome.success", f"must be a bool, got {type(outcome.success).__name__}")
    if outcome.status not in _STATUSES:
        raise _fail("outcome.status", f"must be one of {_STATUSES}, got {outcome.status!r}")
    if outcome.status == "success" and not outcome.success:
        raise _fail("outcome.status", "is 'success' but outcome.success is False")
    if outcome.status == "failure" and outcome.success:
        raise _fail("outcome.status", "is 'failure' but outcome.success is True")
    duration = outcome.duration_ms
    if duration is not None:
        duration = _bounded_int(duration, "outcome.duration_ms", limits.max_latency_ms)

    def text_list(values: object, field: str) -> tuple[str, ...]:
        if isinstance(values, str) or not isinstance(values, Iterable):
            raise _fail(field, "must be a list of strings")
        items = tuple(values)
        if len(items) > limits.max_artifacts:
            raise _fail(field, f"has {len(items)} items; the limit is {limits.max_artifacts}")
        return tuple(
            _short_text(item, f"{field}[{i}]", limits.max_action_chars)
            for i, item in enumerate(items)
        )

    return TaskOutcome(
        success=outcome.success,
        result=_optional_free_text(outcome.result, "outcome.result", limits.max_result_chars),
        error=_optional_free_text(outcome.error, "outcome.error", limits.max_error_chars),
        duration_ms=duration,
        status=outcome.status,
        artifacts=text_list(outcome.artifacts, "outcome.artifacts"),
        completed=text_list(outcome.completed, "outcome.completed"),
        failed=text_list(outcome.failed, "outcome.failed"),
    )


def validate_limit(limit: object, limits: Limits, field: str = "limit") -> int:
    """A result-count argument: an integer in [1, limits.max_limit]."""
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise _fail(field, f"must be an integer, got {type(limit).__name__}")
    if not 1 <= limit <= limits.max_limit:
        raise _fail(field, f"must be between 1 and {limits.max_limit}, got {limit}")
    return limit


def validate_episode_id(value: object, field: str = "episode_id") -> uuid.UUID:
    """Accept a UUID or its string form; anything else is a ValidationError."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and len(value) <= 64:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise _fail(field, f"must be a UUID, got {str(value)[:80]!r}")


def validate_episode_query(
    limits: Limits,
    *,
    domain: object = None,
    tags: object = (),
    outcome: object = None,
    since: object = None,
    limit: object = 100,
    offset: object = 0,
) -> EpisodeQuery:
    """Filters for listing episodes, checked and normalized."""
    if outcome is not None and outcome not in _STATUSES:
        raise _fail("outcome", f"unknown status {outcome!r}; expected one of {_STATUSES}")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise _fail("offset", f"must be an integer >= 0, got {offset!r}")
    return EpisodeQuery(
        domain=None if domain is None else validate_name(domain, limits, "domain").lower(),
        tags=normalize_tags(tags, limits, "tags"),
        outcome=outcome,  # type: ignore[arg-type]
        since=None if since is None else _aware_datetime(since, "since"),
        limit=validate_limit(limit, limits),
        offset=offset,
    )


def validate_retrieval_filters(
    limits: Limits,
    *,
    domain: object = None,
    tags: object = (),
    outcome: object = None,
    since: object = None,
    until: object = None,
) -> RetrievalFilters:
    """Filters of a retrieval, checked and normalized."""
    listing = validate_episode_query(limits, domain=domain, tags=tags, outcome=outcome, since=since)
    end = None if until is None else _aware_datetime(until, "until")
    if end is not None and listing.since is not None and end <= listing.since:
        raise _fail("until", f"must be after since ({listing.since.isoformat()})")
    return RetrievalFilters(
        domain=listing.domain,
        tags=listing.tags,
        outcome=listing.outcome,
        since=listing.since,
        until=end,
    )


def validate_diversity(value: object) -> float:
    """The MMR diversity of a retrieval: a number in [0, 1]."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
        raise _fail("diversity", f"must be a number in [0, 1], got {value!r}")
    return float(value)


def check_episode_size(episode: Episode, limits: Limits) -> None:
    """Refuse an episode whose serialized record would exceed ``max_episode_bytes``."""
    size = len(encode_msgpack(episode))
    if size > limits.max_episode_bytes:
        raise _fail(
            "episode", f"is {size} bytes serialized; the limit is {limits.max_episode_bytes} bytes"
        )


def validate_episode(episode: object, limits: Limits) -> Episode:
    """Validate a whole episode (e.g. one being imported) and return it normalized."""
    if not isinstance(episode, Episode):
        raise _fail("episode", f"must be an Episode, got {type(episode).__name__}")
    if len(episode.steps) > limits.max_steps_per_episode:
        raise _fail(
            "episode.steps",
            f"has {len(episode.steps)} steps; the limit is {limits.max_steps_per_episode}",
        )
    steps = tuple(validate_step(step, limits) for step in episode.steps)
    for expected, step in enumerate(steps, start=1):
        if step.step_number != expected:
            raise _fail(
                f"episode.steps[{expected - 1}].step_number",
                f"must be {expected} (steps are numbered from 1), got {step.step_number}",
            )
    started_at = _aware_datetime(episode.started_at, "episode.started_at")
    completed_at = episode.completed_at
    if completed_at is not None:
        completed_at = _aware_datetime(completed_at, "episode.completed_at")
        if completed_at < started_at:
            raise _fail("episode.completed_at", "is earlier than episode.started_at")
    outcome = None if episode.outcome is None else validate_outcome(episode.outcome, limits)
    if (outcome is None) != (completed_at is None):
        raise _fail("episode", "outcome and completed_at must be both set or both empty")
    try:
        normalized = msgspec.structs.replace(
            episode,
            id=validate_episode_id(episode.id, "episode.id"),
            task_description=validate_task_description(episode.task_description, limits),
            task_type=_short_text(
                episode.task_type, "episode.task_type", limits.max_short_text_chars
            ),
            context=validate_context(episode.context, limits),
            steps=steps,
            outcome=outcome,
            tags=normalize_tags(episode.tags, limits, "episode.tags"),
            metadata=validate_metadata(episode.metadata, limits),
            started_at=started_at,
            completed_at=completed_at,
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise _fail("episode", str(exc)) from exc
    _check_storable(normalized)
    check_episode_size(normalized, limits)
    return normalized


def _check_storable(episode: Episode) -> None:
    """Refuse an episode whose remaining fields would not decode again once stored.

    Reward, reflection and the derived id lists are trusted computed values in
    normal use, but an imported episode may carry anything in them: one that
    would store fine and then fail every read must be refused up front.
    """
    version = episode.schema_version
    if type(version) is not int or not 1 <= version <= RECORD_SCHEMA_VERSION:
        raise _fail(
            "episode.schema_version",
            f"must be an integer from 1 to {RECORD_SCHEMA_VERSION}, got {version!r}",
        )
    for name, kind in (("reward", RewardScore), ("reflection", Reflection)):
        value = getattr(episode, name)
        if value is not None and not isinstance(value, kind):
            raise _fail(f"episode.{name}", f"must be a {kind.__name__} or None")
    for name in ("pattern_ids", "heuristic_ids"):
        if not all(isinstance(item, uuid.UUID) for item in getattr(episode, name)):
            raise _fail(f"episode.{name}", "must hold UUIDs only")
    try:
        msgspec.msgpack.decode(msgspec.msgpack.encode(episode), type=Episode)
    except (TypeError, msgspec.EncodeError, msgspec.DecodeError) as exc:
        field = _stored_field(str(exc))
        raise _fail(field, f"cannot be stored and read back: {exc}") from exc


def _stored_field(message: str) -> str:
    """The field a msgspec error names (``at `$.reward.total` `` → ``episode.reward``)."""
    for name in ("reward", "reflection", "pattern_ids", "heuristic_ids"):
        if f"$.{name}" in message:
            return f"episode.{name}"
    return "episode"
