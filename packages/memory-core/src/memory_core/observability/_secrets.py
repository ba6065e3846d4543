"""Secret values that must never reach a log line: registered once, scrubbed everywhere.

Configuration code registers each secret it loads (bearer tokens, database auth
tokens, embedding API keys) with :func:`register_secret`; the logging filter
replaces any occurrence in a formatted message or traceback with ``[redacted]``,
and then applies the write-time redaction detectors (:mod:`memory_core.redaction`:
API-key shapes, JWTs, private keys, credentials in URLs...), so a secret an agent
sent in a task description is not printed by an error message either. Not
logging secrets in the first place is the rule; this is the safety net.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..redaction import SecretRedactor

__all__ = ["REDACTED", "register_secret", "scrub_secrets"]

REDACTED = "[redacted]"
# Shorter values would match ordinary words; real tokens and keys are far longer.
_MIN_LENGTH = 8
# Credentials that look like credentials even when nobody registered them.
_SHAPES = re.compile(
    r"(?i)(?<=bearer )[A-Za-z0-9._~+/=-]{8,}"
    r"|(?<=authorization: )[^\s,;]{8,}"
    r"|(?<=://)[^/\s:@]{1,128}:[^/\s@]{1,256}(?=@)"
)

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_pattern: re.Pattern[str] | None = None
_detectors: SecretRedactor | None = None


def _redactor() -> SecretRedactor:
    global _detectors
    if _detectors is None:
        # Imported late: redaction imports the models, which must not import logging setup.
        from ..redaction import RedactionConfig, SecretRedactor

        _detectors = SecretRedactor(RedactionConfig(enabled=True, replacement="[redacted:{kind}]"))
    return _detectors


def register_secret(value: str | None) -> None:
    """Never log ``value`` (ignored when empty or shorter than 8 characters)."""
    global _secrets, _pattern
    if not value or len(value) < _MIN_LENGTH:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets = _secrets | {value}
        # Longest first, so a secret containing another is replaced whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(secret) for secret in ordered))


def scrub_secrets(text: str) -> str:
    """``text`` with registered secrets, bearer/URL credentials and detected keys replaced."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    return _redactor().redact_text(_SHAPES.sub(REDACTED, text))
