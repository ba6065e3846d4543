"""BM25 over an inverted index that scores only the documents a query touches.

Scores are reported as a fraction of the best score the query could reach
(every query term at saturation in a document of average length), so the
lexical signal is in [0, 1] and comparable across queries.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

__all__ = ["BM25Index"]


class BM25Index:
    """Okapi BM25 (k1, b) with incremental add and remove of documents."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, dict[int, int]] = {}
        self._lengths: dict[int, int] = {}
        self._terms: dict[int, tuple[str, ...]] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def __contains__(self, doc: object) -> bool:
        return doc in self._lengths

    def add(self, doc: int, tokens: Iterable[str]) -> None:
        """Index a document under integer key ``doc`` (replacing an earlier one)."""
        if doc in self._lengths:
            self.remove(doc)
        counts = Counter(tokens)
        for term, count in counts.items():
            self._postings.setdefault(term, {})[doc] = count
        length = sum(counts.values())
        self._lengths[doc] = length
        self._terms[doc] = tuple(counts)
        self._total_length += length

    def remove(self, doc: int) -> None:
        """Forget a document; unknown keys are ignored."""
        length = self._lengths.pop(doc, None)
        if length is None:
            return
        self._total_length -= length
        for term in self._terms.pop(doc):
            posting = self._postings[term]
            del posting[doc]
            if not posting:
                del self._postings[term]

    def _idf(self, term: str) -> float:
        df = len(self._postings.get(term, ()))
        n = len(self._lengths)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def score(self, query_tokens: Iterable[str]) -> dict[int, float]:
        """Normalized BM25 in [0, 1] for every document sharing a term with the query."""
        terms = Counter(t for t in query_tokens if t in self._postings)
        if not terms or not self._lengths:
            return {}
        avg_length = self._total_length / len(self._lengths) or 1.0
        k1, b = self.k1, self.b
        scores: dict[int, float] = {}
        best = 0.0
        for term, query_count in terms.items():
            weight = self._idf(term) * query_count
            best += weight * (k1 + 1.0)
            for doc, tf in self._postings[term].items():
                norm = k1 * (1.0 - b + b * self._lengths[doc] / avg_length)
                scores[doc] = scores.get(doc, 0.0) + weight * tf * (k1 + 1.0) / (tf + norm)
        if best <= 0.0:
            return {}
        return {doc: min(1.0, value / best) for doc, value in scores.items()}
