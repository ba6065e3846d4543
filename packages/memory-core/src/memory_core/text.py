"""Text handling shared by retrieval, reflection and learning.

- :func:`tokenize` turns text into lower-case word stems for lexical matching.
- :func:`normalize_error` strips what varies between occurrences of the same
  error (numbers, paths, ids, hex, addresses, quoted names) so one error class
  from many episodes is recognized as one.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["STOPWORDS", "normalize_error", "stem", "tokenize"]

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "without",
        "via",
        "new",
        "use",
        "using",
    ]
)

_WORD_RE = re.compile(r"[a-z0-9]+")
_SUFFIXES = ("ing", "ed", "es", "s")

_ERROR_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<addr>"),
    (re.compile(r"\b(?:localhost|127\.0\.0\.1):\d+\b"), "<addr>"),
    (re.compile(r"(?:[a-z]:\\|\\\\)[^\s'\"]+"), "<path>"),
    (re.compile(r"(?<![\w<])(?:~|\.{1,2})?/[^\s'\",:;)]+"), "<path>"),
    (re.compile(r"(?<![\w<./])(?:[\w.-]+/)+[\w-]+\.[a-z0-9]{1,8}\b"), "<path>"),
    (re.compile(r"\b0x[0-9a-f]+\b"), "<hex>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b"), "<hex>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
    (re.compile(r"\s+"), " "),
)


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light suffix stripper: "tests", "testing", "tested" → "test"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case alphanumeric word stems of ``text``, without stopwords."""
    return [stem(word) for word in _WORD_RE.findall(text.lower()) if word not in STOPWORDS]


def normalize_error(message: str, *, max_chars: int = 200) -> str:
    """Canonical class of an error message.

    >>> normalize_error("Connection refused to 10.0.3.7:5432 after 3000 ms")
    'connection refused to <addr> after <n> ms'
    """
    text = message.strip().lower()
    for pattern, replacement in _ERROR_RULES:
        text = pattern.sub(replacement, text)
    return text.strip()[:max_chars]
