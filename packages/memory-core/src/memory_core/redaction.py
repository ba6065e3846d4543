"""Write-time redaction of secrets: API keys, bearer tokens, private keys, passwords.

Agents paste tool output into observations, pass credentials as step parameters and
quote commands in task descriptions; once stored, a secret would also reach exports,
backups, reflections and mined patterns. When :class:`RedactionConfig` ``enabled`` is
set, :class:`SecretRedactor` replaces every detected secret in every text an episode
stores, after validation and before anything is written, so nothing derived from the
stored data can leak it either. Redaction is off by default in the library and on in
the MCP server's configuration.

What is replaced is only the secret itself: ``Authorization: Bearer abc...`` becomes
``Authorization: Bearer [REDACTED:bearer_token]``, ``postgres://app:pw@db/x`` keeps
its user and host. Detection is by shape (vendor prefixes, PEM armour, JWT segments)
or by context (``password=...`` assignments, credential-named mapping keys); plain
hex hashes, UUIDs, paths and prose are left alone. Every pattern is bounded, so the
work is linear in the length of the text. Redacting redacted text changes nothing.

Built-in detectors (names for ``RedactionConfig.detectors``): see :data:`DETECTORS`.
"""

from __future__ import annotations

import bisect
import re
import string
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from .codec import encode_json
from .errors import ValidationError
from .models import Episode, ExecutionStep, TaskContext, TaskOutcome

if TYPE_CHECKING:
    from .config import Limits

__all__ = [
    "DETECTORS",
    "RedactionConfig",
    "RedactionStats",
    "SecretRedactor",
]

_MAX_EXTRA_PATTERNS = 64
_MAX_PATTERN_CHARS = 1_000
_MAX_REPLACEMENT_CHARS = 100

# Detectors ---------------------------------------------------------------------------------
# Each detector yields (start, end) spans of secrets; overlapping spans are merged and the
# merged span is labelled with the first (most specific) detector that found part of it.

Finder = Callable[[str], Iterator[tuple[int, int]]]


@dataclass(frozen=True, slots=True)
class _Detector:
    kind: str
    description: str
    find: Finder


def _regex_finder(pattern: str) -> Finder:
    """Spans of group ``secret`` (or the whole match) of every match of ``pattern``."""
    compiled = re.compile(pattern)
    has_group = "secret" in compiled.groupindex

    def find(text: str) -> Iterator[tuple[int, int]]:
        for match in compiled.finditer(text):
            start, end = match.span("secret") if has_group else (-1, -1)
            if start < 0:  # no such group, or it did not take part in this match
                start, end = match.span()
            if end > start:
                yield start, end

    return find


# Characters that may not directly precede a token prefix (so "xsk-..." or "foo_ghp_..."
# inside a longer identifier is not taken for a key).
_NOT_AFTER_WORD = r"(?<![A-Za-z0-9_-])"

_PEM_BEGIN = re.compile(r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----")
# Body of a key cut off before its END line (truncated tool output): base64, armour
# headers ("Proc-Type: 4,ENCRYPTED") and escaped newlines as found in JSON strings.
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=\s\\:,.-]*")


def _find_private_keys(text: str) -> Iterator[tuple[int, int]]:
    # Linear: every BEGIN is paired with the first END after it; the search resumes
    # after that END, so no part of the text is scanned twice.
    ends = [match.span() for match in _PEM_END.finditer(text)]
    position = 0
    end_index = 0
    while True:
        begin = _PEM_BEGIN.search(text, position)
        if begin is None:
            return
        while end_index < len(ends) and ends[end_index][0] < begin.end():
            end_index += 1
        if end_index < len(ends):
            stop = ends[end_index][1]
        else:
            body = _PEM_BODY.match(text, begin.end())
            stop = body.end() if body is not None else begin.end()
        yield begin.start(), stop
        position = stop


_SECRET_WORDS = (
    r"(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)"
)
_KEY_SUFFIX = r"(?:[_-]?(?:key|value|str|string))?"
_PLACEHOLDERS = frozenset(
    {
        "none",
        "null",
        "nil",
        "true",
        "false",
        "undefined",
        "str",
        "string",
        "bytes",
        "int",
        "optional",
        "required",
        "redacted",
        "hidden",
        "masked",
        "example",
        "placeholder",
        "your_password",
        "your_token",
        "your_api_key",
        "value",
        "secret",
        "password",
        "token",
        "key",
        "...",
    }
)
_CODE_REFERENCE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,60}(?:\.[A-Za-z_][A-Za-z0-9_]{0,60}){1,8}")
# An identifier naming a credential is a variable holding it (``api_key=api_key``), not one.
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,80}")
_NAMES_A_SECRET = re.compile(r"(?i:token|key|secret|passw|auth|cred)")
_HAS_DIGIT = re.compile(r"[0-9]")
_HAS_LETTER = re.compile(r"[A-Za-z]")


def _looks_like_value(value: str, *, quoted: bool, separator: str) -> bool:
    """Whether an assigned value is plausibly a real secret (not a placeholder or a type)."""
    lowered = value.strip().lower()
    if not lowered or lowered in _PLACEHOLDERS or set(lowered) <= {"*", "x", ".", "-", "#"}:
        return False
    if value[0] in "$%{<[_":
        return False  # a variable reference (also _NAME), a template, or already redacted
    if quoted:
        return True
    if _CODE_REFERENCE.fullmatch(value):
        return False  # os.environ, settings.token, ...
    if _VARIABLE.fullmatch(value) and _NAMES_A_SECRET.search(value):
        return False
    if separator == ":":
        # "token: expired" is prose; YAML and header values carry letters and digits.
        return (
            len(value) >= 6
            and _HAS_DIGIT.search(value) is not None
            and _HAS_LETTER.search(value) is not None
        )
    return len(value) >= 3


_ASSIGNMENT_RE = re.compile(
    r"(?i:" + _SECRET_WORDS + _KEY_SUFFIX + r")"
    r"(?![A-Za-z0-9])\\?[\"']?[ \t]{0,5}(?P<sep>:=|=>|=|:)(?!=)[ \t]{0,5}\\?"
    r"(?:\"(?P<dq>[^\"\r\n\\]{1,512})\\?\""
    r"|'(?P<sq>[^'\r\n\\]{1,512})\\?'"
    r"|(?P<bare>[^\s\"'`,;&<>()\[\]{}\\]{1,512}))"
)
_CLI_FLAG_RE = re.compile(
    r"(?<![A-Za-z0-9-])--(?:[a-z0-9]{1,20}-){0,3}"
    r"(?i:password|passwd|passphrase|secret|token|api-key|apikey|access-key)"
    r"[ =](?P<secret>[^\s\"'`-][^\s\"'`]{2,511})"
)


def _find_assignments(text: str) -> Iterator[tuple[int, int]]:
    for match in _ASSIGNMENT_RE.finditer(text):
        group = "dq" if match.group("dq") is not None else "sq"
        if match.group(group) is None:
            group = "bare"
        quoted = group != "bare"
        if not quoted and text[match.end(group) : match.end(group) + 1] in ("(", "["):
            continue  # a call or subscript: code, not a literal
        if _looks_like_value(match.group(group), quoted=quoted, separator=match.group("sep")):
            yield match.span(group)
    for match in _CLI_FLAG_RE.finditer(text):
        value = match.group("secret")
        if _looks_like_value(value, quoted=True, separator="="):
            yield match.span("secret")


_DETECTOR_LIST: tuple[_Detector, ...] = (
    _Detector(
        "private_key",
        "PEM private key blocks (RSA, EC, OpenSSH, PKCS#8, PGP), also cut-off ones",
        _find_private_keys,
    ),
    _Detector(
        "anthropic_key",
        "Anthropic API keys (sk-ant-...)",
        _regex_finder(_NOT_AFTER_WORD + r"sk-ant-[A-Za-z0-9_-]{20,300}"),
    ),
    _Detector(
        "openai_key",
        "OpenAI-style keys (sk-..., sk-proj-..., sk-svcacct-...) containing a digit",
        _regex_finder(_NOT_AFTER_WORD + r"sk-(?=[A-Za-z_-]{0,300}[0-9])[A-Za-z0-9_-]{20,1000}"),
    ),
    _Detector(
        "stripe_key",
        "Stripe secret and restricted keys (sk_live_, rk_live_, sk_test_, rk_test_)",
        _regex_finder(r"(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}"),
    ),
    _Detector(
        "aws_access_key_id",
        "AWS access key ids (AKIA/ASIA/ABIA/ACCA + 16)",
        _regex_finder(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    ),
    _Detector(
        "aws_secret_key",
        "AWS secret access keys in assignments (aws_secret_access_key = ..., SecretAccessKey)",
        _regex_finder(
            r"(?i:(?:aws_?)?secret_?access_?key)[\"']?[ \t]{0,5}[:=][ \t]{0,5}[\"']?"
            r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
    ),
    _Detector(
        "github_token",
        "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)",
        _regex_finder(
            r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})"
            r"(?![A-Za-z0-9_])"
        ),
    ),
    _Detector(
        "gitlab_token",
        "GitLab personal access tokens (glpat-...)",
        _regex_finder(_NOT_AFTER_WORD + r"glpat-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])"),
    ),
    _Detector(
        "slack_token",
        "Slack tokens (xoxb-, xoxa-, xoxp-, xoxr-, xoxs-, xoxo-, xapp-) and webhook URLs",
        _regex_finder(
            _NOT_AFTER_WORD + r"(?:xox[abposr]|xapp)-(?=[A-Za-z-]{0,250}[0-9])[A-Za-z0-9-]{10,250}"
            r"|hooks\.slack\.com/services/(?P<secret>T[A-Z0-9]{6,20}/B[A-Z0-9]{6,20}/[A-Za-z0-9]{16,64})"
        ),
    ),
    _Detector(
        "google_api_key",
        "Google API keys (AIza + 35)",
        _regex_finder(_NOT_AFTER_WORD + r"AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"),
    ),
    _Detector(
        "huggingface_token",
        "Hugging Face tokens (hf_...)",
        _regex_finder(r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,60}(?![A-Za-z0-9_])"),
    ),
    _Detector(
        "npm_token",
        "npm tokens (npm_...)",
        _regex_finder(r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])"),
    ),
    _Detector(
        "pypi_token",
        "PyPI upload tokens (pypi-AgEI...)",
        _regex_finder(_NOT_AFTER_WORD + r"pypi-AgE[A-Za-z0-9_-]{50,400}"),
    ),
    _Detector(
        "jwt",
        "JSON Web Tokens (three base64url segments, the first starting eyJ)",
        _regex_finder(
            r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,4096}\.[A-Za-z0-9_-]{8,8192}"
            r"\.[A-Za-z0-9_-]{0,4096}"
        ),
    ),
    _Detector(
        "bearer_token",
        "Bearer tokens (Authorization: Bearer ..., Bearer ...) containing a digit",
        _regex_finder(
            r"(?i:(?<![A-Za-z0-9])bearer)[ \t]{1,10}"
            r"(?P<secret>(?=[A-Za-z._~+/-]{0,4096}[0-9])[A-Za-z0-9._~+/-]{16,4096}=*)"
        ),
    ),
    _Detector(
        "basic_auth",
        "Authorization headers with Basic / Token / ApiKey credentials",
        _regex_finder(
            r"(?i:authorization)[\"']?[ \t]{0,5}[:=][ \t]{0,5}[\"']?"
            r"(?i:basic|token|apikey)[ \t]{1,5}"
            r"(?P<secret>[A-Za-z0-9+/=._~-]{8,4096})"
        ),
    ),
    _Detector(
        "url_credentials",
        "passwords in URLs (scheme://user:password@host keeps user and host)",
        _regex_finder(
            r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/?#@\"'<>]{0,128}:"
            r"(?P<secret>[^\s/?#\"'<>]{1,256})@(?=[A-Za-z0-9\[])"
        ),
    ),
    _Detector(
        "generic_secret",
        "values assigned to password / passwd / passphrase / secret / token / api_key / "
        "access_key / private_key (key=value, key: value, JSON, --flag value)",
        _find_assignments,
    ),
    _Detector(
        "sensitive_field",
        "string values stored under a credential-named mapping key (password, token, "
        "api_key, client_secret, authorization, credentials, ...)",
        lambda text: iter(()),  # applied to mapping keys, see SecretRedactor._mapping
    ),
)

#: The built-in detectors, by name, with what each finds (most specific first).
DETECTORS: Mapping[str, str] = {d.kind: d.description for d in _DETECTOR_LIST}

# Cheap pre-check: a text whose lower-cased form holds none of these substrings cannot
# hold a built-in match (plain substring tests are several times faster than one regex).
_TRIGGERS = (
    "begin",
    "bearer",
    "authorization",
    "eyj",
    "sk-",
    "sk_",
    "rk_",
    "akia",
    "asia",
    "abia",
    "acca",
    "secret",
    "gh",
    "github",
    "glpat-",
    "xox",
    "xapp",
    "slack",
    "aiza",
    "hf_",
    "npm_",
    "pypi-",
    "://",
    "passw",
    "passph",
    "token",
    "key",
)


def _may_hold_secret(text: str) -> bool:
    lowered = text.lower()
    return any(trigger in lowered for trigger in _TRIGGERS)


# Mapping keys whose string values are secrets whatever their shape. A key is split into
# words (snake_case, kebab-case, camelCase); its last word (or last two) must match.
_SENSITIVE_LAST_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "token",
        "apikey",
        "authorization",
        "credential",
        "credentials",
        "cookie",
        "privatekey",
        "accesskey",
        "secretkey",
    }
)
_SENSITIVE_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key")})
_SENSITIVE_PAIRS_SECRET = frozenset({("secret", "key"), ("secret", "value")})
_KEY_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _is_sensitive_key(key: str) -> bool:
    words = [w.lower() for w in _KEY_WORD.findall(key[:200])]
    if not words:
        return False
    if words[-1] in _SENSITIVE_LAST_WORDS:
        return True
    if len(words) >= 2:
        pair = (words[-2], words[-1])
        return pair in _SENSITIVE_PAIRS or pair in _SENSITIVE_PAIRS_SECRET
    return False


# Configuration -------------------------------------------------------------------------------


class RedactionConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Whether and how secrets are redacted before anything is stored.

    Attributes:
        enabled: redact (``False`` by default in the library; the MCP server turns it on).
        detectors: names of the built-in detectors to run (see :data:`DETECTORS`);
            ``None`` runs all of them.
        extra_patterns: additional regular expressions (Python syntax). A pattern
            with a named group ``secret`` replaces only that group, otherwise the
            whole match; their matches are counted under the kind ``custom``. Keep
            them bounded (``{8,64}`` rather than ``+``) to keep redaction linear.
        replacement: what replaces a secret; each ``{kind}`` in it becomes the
            detector name (no other placeholder is allowed).
    """

    enabled: bool = False
    detectors: tuple[str, ...] | None = None
    extra_patterns: tuple[str, ...] = ()
    replacement: str = "[REDACTED:{kind}]"

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ValidationError(
                f"redaction.enabled: must be a bool, got {type(self.enabled).__name__}",
                field="redaction.enabled",
            )
        for name in ("detectors", "extra_patterns"):
            value: object = getattr(self, name)
            if isinstance(value, list):  # constructed with lists: keep the Struct hashable
                msgspec.structs.force_setattr(self, name, tuple(value))
        if self.detectors is not None:
            unknown = [name for name in self.detectors if name not in DETECTORS]
            if unknown:
                raise ValidationError(
                    f"redaction.detectors: unknown detector(s) {unknown}; "
                    f"known: {sorted(DETECTORS)}",
                    field="redaction.detectors",
                )
        if len(self.extra_patterns) > _MAX_EXTRA_PATTERNS:
            raise ValidationError(
                f"redaction.extra_patterns: {len(self.extra_patterns)} patterns; "
                f"the limit is {_MAX_EXTRA_PATTERNS}",
                field="redaction.extra_patterns",
            )
        for position, pattern in enumerate(self.extra_patterns):
            _compile_extra(pattern, f"redaction.extra_patterns[{position}]")
        _check_replacement(self.replacement)


def _compile_extra(pattern: object, field: str) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise ValidationError(
            f"{field}: must be a string, got {type(pattern).__name__}", field="redaction"
        )
    if not pattern or len(pattern) > _MAX_PATTERN_CHARS:
        raise ValidationError(
            f"{field}: must be 1-{_MAX_PATTERN_CHARS} characters, got {len(pattern)}",
            field="redaction.extra_patterns",
        )
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValidationError(
            f"{field}: {pattern[:80]!r} is not a valid regular expression ({exc})",
            field="redaction.extra_patterns",
        ) from None
    if compiled.fullmatch("") is not None:
        raise ValidationError(
            f"{field}: {pattern[:80]!r} matches the empty string", field="redaction.extra_patterns"
        )
    return compiled


def _check_replacement(replacement: object) -> None:
    field = "redaction.replacement"
    if not isinstance(replacement, str) or not replacement:
        raise ValidationError(f"{field}: must be a non-empty string", field=field)
    if len(replacement) > _MAX_REPLACEMENT_CHARS:
        raise ValidationError(
            f"{field}: is {len(replacement)} characters; the limit is {_MAX_REPLACEMENT_CHARS}",
            field=field,
        )
    if re.search(r"[\x00-\x1f\x7f]", replacement):
        raise ValidationError(f"{field}: contains a control character", field=field)
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(replacement) if name}
    except ValueError as exc:
        raise ValidationError(
            f"{field}: {replacement!r} is not a valid template ({exc}); use {{kind}} only",
            field=field,
        ) from None
    if names - {"kind"}:
        raise ValidationError(
            f"{field}: unknown placeholder(s) {sorted(names - {'kind'})}; only {{kind}} exists",
            field=field,
        )


class RedactionStats(msgspec.Struct, frozen=True, kw_only=True):
    """What redaction did since the memory was created.

    ``values_redacted`` counts replaced secrets (one per occurrence); ``by_kind``
    splits it by detector name (``custom`` for ``extra_patterns``).
    """

    enabled: bool
    values_redacted: int
    by_kind: dict[str, int]


# The redactor ----------------------------------------------------------------------------------


class SecretRedactor:
    """Replaces secrets in episodes, steps and outcomes as configured.

    Every method returns its input unchanged when redaction is disabled. The
    ``limits`` passed to the model methods keep a field that grew by a marker
    within its limit (the tail of an over-long text is cut) and refuse a
    mapping that outgrew its size limit with :class:`ValidationError`.
    """

    def __init__(self, config: RedactionConfig | None = None) -> None:
        self.config = config or RedactionConfig()
        names = self.config.detectors
        self._detectors = [d for d in _DETECTOR_LIST if names is None or d.kind in names]
        self._extras = [
            _regex_finder(pattern.pattern)
            for pattern in (
                _compile_extra(p, f"redaction.extra_patterns[{i}]")
                for i, p in enumerate(self.config.extra_patterns)
            )
        ]
        self._sensitive_fields = any(d.kind == "sensitive_field" for d in self._detectors)
        template = self.config.replacement
        marker = re.escape(template.replace("{kind}", "\x00")).replace("\x00", "[a-z0-9_]{1,40}")
        self._marker = re.compile(marker)
        self._counts: Counter[str] = Counter()

    @property
    def enabled(self) -> bool:
        """Whether this redactor changes anything."""
        return self.config.enabled

    def stats(self) -> RedactionStats:
        """Counts of replaced secrets so far."""
        counts = dict(sorted(self._counts.items()))
        return RedactionStats(
            enabled=self.enabled, values_redacted=sum(counts.values()), by_kind=counts
        )

    def _marker_for(self, kind: str) -> str:
        return self.config.replacement.replace("{kind}", kind)

    # Text ---------------------------------------------------------------------------------
    def _spans(self, text: str) -> list[tuple[int, int, int]]:
        """Merged secret spans as (start, end, detector rank), outside existing markers."""
        found: list[tuple[int, int, int]] = []
        if _may_hold_secret(text):
            for rank, detector in enumerate(self._detectors):
                found.extend((start, end, rank) for start, end in detector.find(text))
        custom = len(self._detectors)
        for find in self._extras:
            found.extend((start, end, custom) for start, end in find(text))
        if not found:
            return []
        markers = [m.span() for m in self._marker.finditer(text)]
        if markers:
            found = _outside_markers(found, markers)
        found.sort()
        merged: list[tuple[int, int, int]] = []
        for start, end, rank in found:
            if merged and start < merged[-1][1]:
                last_start, last_end, last_rank = merged[-1]
                merged[-1] = (last_start, max(last_end, end), min(last_rank, rank))
            else:
                merged.append((start, end, rank))
        return merged

    def _kind(self, rank: int) -> str:
        return self._detectors[rank].kind if rank < len(self._detectors) else "custom"

    def redact_text(self, text: str, limit: int | None = None) -> str:
        """``text`` with every detected secret replaced (cut to ``limit`` characters if given).

        Works whether or not redaction is enabled (the model methods check ``enabled``).
        """
        spans = self._spans(text)
        if not spans:
            return text
        parts: list[str] = []
        position = 0
        for start, end, rank in spans:
            kind = self._kind(rank)
            self._counts[kind] += 1
            parts.append(text[position:start])
            parts.append(self._marker_for(kind))
            position = end
        parts.append(text[position:])
        redacted = "".join(parts)
        if limit is not None and len(redacted) > limit:
            redacted = redacted[:limit]
        return redacted

    def _optional(self, text: str | None, limit: int | None) -> str | None:
        return None if text is None else self.redact_text(text, limit)

    def _texts(self, values: tuple[str, ...], limit: int | None) -> tuple[str, ...]:
        return tuple(self.redact_text(value, limit) for value in values)

    def _tags(self, tags: tuple[str, ...]) -> tuple[str, ...]:
        result: list[str] = []
        for tag in tags:
            spans = self._spans(tag)
            if spans:
                kind = self._kind(spans[0][2])
                for _, _, rank in spans:
                    self._counts[self._kind(rank)] += 1
                tag = f"redacted-{kind}"  # keeps the tag charset: a-z, 0-9, '_' and '-'
            if tag not in result:
                result.append(tag)
        return tuple(result)

    # JSON values --------------------------------------------------------------------------
    def redact_value(self, value: Any, *, sensitive: bool = False) -> Any:
        """A JSON value with secrets replaced in every string (keys included).

        Under a credential-named key (``sensitive``) every string is replaced whole.
        """
        if isinstance(value, str):
            if sensitive and value and not self._marker.fullmatch(value):
                self._counts["sensitive_field"] += 1
                return self._marker_for("sensitive_field")
            return self.redact_text(value)
        if isinstance(value, Mapping):
            return self._mapping(value, sensitive=sensitive)
        if isinstance(value, (list, tuple)):
            items = [self.redact_value(item, sensitive=sensitive) for item in value]
            return items if isinstance(value, list) else tuple(items)
        return value

    def _mapping(self, mapping: Mapping[str, Any], *, sensitive: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in mapping.items():
            new_key = self.redact_text(key) if isinstance(key, str) else key
            if new_key in result:  # two keys redacted alike: keep both values
                suffix = 2
                while f"{new_key} #{suffix}" in result:
                    suffix += 1
                new_key = f"{new_key} #{suffix}"
            hidden = sensitive or (
                self._sensitive_fields and isinstance(key, str) and _is_sensitive_key(key)
            )
            result[new_key] = self.redact_value(item, sensitive=hidden)
        return result

    def _json_mapping(
        self, mapping: dict[str, Any] | None, field: str, limit: int | None
    ) -> dict[str, Any] | None:
        if mapping is None:
            return None
        redacted = self._mapping(mapping)
        if limit is not None and redacted != mapping:
            size = len(encode_json(redacted))
            if size > limit:
                raise ValidationError(
                    f"{field}: is {size} bytes serialized after redacting secrets; "
                    f"the limit is {limit} bytes",
                    field=field,
                )
        return redacted

    # Models -------------------------------------------------------------------------------
    def context(self, context: TaskContext, limits: Limits | None = None) -> TaskContext:
        """A task context with secrets replaced in its names and tags."""
        if not self.enabled:
            return context
        short = _limit(limits, "max_short_text_chars")
        domain = self.redact_text(context.domain, short)
        return TaskContext(
            language=self._optional(context.language, short),
            domain=domain.lower() if domain != context.domain else domain,
            tags=self._tags(context.tags),
            framework=self._optional(context.framework, short),
            complexity=context.complexity,
        )

    def step(self, step: ExecutionStep, limits: Limits | None = None) -> ExecutionStep:
        """A step with secrets replaced in tool, action, observation, error and parameters."""
        if not self.enabled:
            return step
        return msgspec.structs.replace(
            step,
            tool=self.redact_text(step.tool, _limit(limits, "max_short_text_chars")),
            action=self.redact_text(step.action, _limit(limits, "max_action_chars")),
            observation=self.redact_text(step.observation, _limit(limits, "max_observation_chars")),
            error=self._optional(step.error, _limit(limits, "max_error_chars")),
            parameters=self._json_mapping(
                step.parameters, "step.parameters", _limit(limits, "max_parameters_bytes")
            ),
        )

    def outcome(self, outcome: TaskOutcome, limits: Limits | None = None) -> TaskOutcome:
        """An outcome with secrets replaced in result, error, artifacts and sub-goals."""
        if not self.enabled:
            return outcome
        items = _limit(limits, "max_action_chars")
        return msgspec.structs.replace(
            outcome,
            result=self._optional(outcome.result, _limit(limits, "max_result_chars")),
            error=self._optional(outcome.error, _limit(limits, "max_error_chars")),
            artifacts=self._texts(outcome.artifacts, items),
            completed=self._texts(outcome.completed, items),
            failed=self._texts(outcome.failed, items),
        )

    def episode(self, episode: Episode, limits: Limits | None = None) -> Episode:
        """An episode with secrets replaced in every free-text field it stores.

        Covers the task description and type, context, tags, metadata, every step,
        the outcome and a reflection (imported episodes may bring their own). With
        ``limits``, an episode that outgrew ``max_episode_bytes`` raises
        :class:`ValidationError`.
        """
        if not self.enabled:
            return episode
        before = sum(self._counts.values())
        reflection = episode.reflection
        if reflection is not None:
            reflection = msgspec.structs.replace(
                reflection,
                successes=self._texts(reflection.successes, None),
                improvements=self._texts(reflection.improvements, None),
                insights=self._texts(reflection.insights, None),
            )
        metadata = self._json_mapping(
            episode.metadata, "metadata", _limit(limits, "max_metadata_bytes")
        )
        redacted = msgspec.structs.replace(
            episode,
            task_description=self.redact_text(
                episode.task_description, _limit(limits, "max_task_description_chars")
            ),
            task_type=self.redact_text(episode.task_type, _limit(limits, "max_short_text_chars")),
            context=self.context(episode.context, limits),
            steps=tuple(self.step(step, limits) for step in episode.steps),
            outcome=None if episode.outcome is None else self.outcome(episode.outcome, limits),
            reflection=reflection,
            tags=self._tags(episode.tags),
            metadata=metadata if metadata is not None else {},
        )
        if limits is not None and sum(self._counts.values()) != before:
            from .validation import check_episode_size  # validation imports this module's users

            check_episode_size(redacted, limits)  # markers can be longer than what they replace
        return redacted


def _limit(limits: Limits | None, name: str) -> int | None:
    return None if limits is None else int(getattr(limits, name))


def _outside_markers(
    spans: list[tuple[int, int, int]], markers: list[tuple[int, int]]
) -> list[tuple[int, int, int]]:
    """The spans that do not touch an existing marker (markers are sorted and disjoint)."""
    ends = [end for _, end in markers]
    kept = []
    for span in spans:
        start, end, _ = span
        index = bisect.bisect_right(ends, start)
        if index < len(markers) and markers[index][0] < end:
            continue
        kept.append(span)
    return kept
