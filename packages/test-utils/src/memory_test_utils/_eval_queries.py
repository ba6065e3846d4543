"""Turning a held-out query template into what a person might actually type.

Each query goes through a few seeded, independent edits: synonyms, abbreviations, another
name for the entity, the entity moved to the front, articles dropped, one typo, lower case.
The entity is kept out of the word-level edits (it is inserted last), so a synonym never
changes *what* is asked about, only how.
"""

from __future__ import annotations

import random
import re
from functools import cache

from ._eval_phrasing import ABBREVIATIONS, ENTITY_VARIANTS, SYNONYMS

__all__ = ["render_query"]

_SLOT = "\x00"  # stands for the entity while the template is edited
_ARTICLES = re.compile(r"\b(?:the|a|an)\b ?", re.IGNORECASE)
_TRAILING_ENTITY = re.compile(r"^(?P<head>.+?) (?:for|of|in|on) (?:the )?\x00$", re.IGNORECASE)
_TYPO_WORD = re.compile(r"[A-Za-z]{5,}")

_P_SYNONYM = 0.45
_P_ABBREVIATION = 0.5
_P_ENTITY_VARIANT = 0.35
_P_SINGULAR = 0.2
_P_REORDER = 0.3
_P_DROP_ARTICLES = 0.3
_P_TYPO = 0.25
_P_LOWER = 0.4


@cache
def _whole_word(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(phrase)}\b", re.IGNORECASE)


def _entity_text(rng: random.Random, entity: str) -> str:
    variants = ENTITY_VARIANTS.get(entity)
    if variants and rng.random() < _P_ENTITY_VARIANT:
        return variants[int(rng.random() * len(variants))]
    if rng.random() < _P_SINGULAR and entity.endswith("s") and not entity.endswith("ss"):
        return entity[:-1]
    return entity


def _edit_words(rng: random.Random, text: str) -> str:
    for word, replacements in SYNONYMS.items():
        pattern = _whole_word(word)
        if pattern.search(text) and rng.random() < _P_SYNONYM:
            choice = replacements[int(rng.random() * len(replacements))]
            text = pattern.sub(choice, text, count=1)
    for long, short in ABBREVIATIONS.items():
        pattern = _whole_word(long)
        if pattern.search(text) and rng.random() < _P_ABBREVIATION:
            text = pattern.sub(short, text, count=1)
    return text


def _typo(rng: random.Random, text: str) -> str:
    words = list(_TYPO_WORD.finditer(text))
    if not words:
        return text
    match = words[int(rng.random() * len(words))]
    word = match.group()
    at = 1 + int(rng.random() * (len(word) - 2))  # never the first letter
    kind = int(rng.random() * 3)
    if kind == 0:  # swapped neighbours
        word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
    elif kind == 1:  # dropped letter
        word = word[:at] + word[at + 1 :]
    else:  # doubled letter
        word = word[:at] + word[at] + word[at:]
    return text[: match.start()] + word + text[match.end() :]


def render_query(rng: random.Random, template: str, entity: str) -> str:
    """One noisy rendering of ``template`` (holding ``{entity}``) about ``entity``."""
    r = rng.random
    text = _edit_words(rng, template.replace("{entity}", _SLOT))
    moved = _TRAILING_ENTITY.match(text)
    reorder = moved is not None and r() < _P_REORDER
    if r() < _P_DROP_ARTICLES:
        text = _ARTICLES.sub("", text)
    if r() < _P_TYPO:
        text = _typo(rng, text)
    name = _entity_text(rng, entity)
    if reorder:
        moved = _TRAILING_ENTITY.match(text)
    if reorder and moved is not None:
        head = moved.group("head")
        text = f"{name}: {head[:1].lower()}{head[1:]}"
    else:
        text = text.replace(_SLOT, name)
    if r() < _P_LOWER:
        text = text.lower()
    return " ".join(text.split())
