"""BM25 over an inverted index that scores only the documents a query touches.

Postings are kept as dictionaries (cheap incremental add/remove) and
materialized per term as numpy arrays on first use after a change, so a query
costs a few vector operations per query term instead of a Python loop over
every posting.

Scores are reported as a fraction of the best score the query could reach
(every query term at saturation in a document of average length), so the
lexical signal is in [0, 1] and comparable across queries.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["BM25Index"]

_Postings = tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]


class BM25Index:
    """Okapi BM25 (k1, b) with incremental add and remove of integer-keyed documents."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, dict[int, int]] = {}
        self._arrays: dict[str, _Postings] = {}
        self._terms: dict[int, tuple[str, ...]] = {}
        self._lengths = np.zeros(64, dtype=np.float64)
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._terms)

    def __contains__(self, doc: object) -> bool:
        return doc in self._terms

    def add(self, doc: int, tokens: Iterable[str]) -> None:
        """Index a document under non-negative integer key ``doc`` (replacing an earlier one)."""
        if doc < 0:
            raise ValueError(f"document keys must be >= 0, got {doc}")
        if doc in self._terms:
            self.remove(doc)
        counts = Counter(tokens)
        for term, count in counts.items():
            self._postings.setdefault(term, {})[doc] = count
            self._arrays.pop(term, None)
        if doc >= len(self._lengths):
            grown = np.zeros(max(doc + 1, 2 * len(self._lengths)), dtype=np.float64)
            grown[: len(self._lengths)] = self._lengths
            self._lengths = grown
        length = sum(counts.values())
        self._lengths[doc] = length
        self._terms[doc] = tuple(counts)
        self._total_length += length

    def remove(self, doc: int) -> None:
        """Forget a document; unknown keys are ignored."""
        terms = self._terms.pop(doc, None)
        if terms is None:
            return
        self._total_length -= int(self._lengths[doc])
        self._lengths[doc] = 0.0
        for term in terms:
            posting = self._postings[term]
            del posting[doc]
            self._arrays.pop(term, None)
            if not posting:
                del self._postings[term]

    def _posting_arrays(self, term: str) -> _Postings:
        arrays = self._arrays.get(term)
        if arrays is None:
            posting = self._postings[term]
            docs = np.fromiter(posting.keys(), dtype=np.intp, count=len(posting))
            tfs = np.fromiter(posting.values(), dtype=np.float64, count=len(posting))
            arrays = self._arrays[term] = (docs, tfs)
        return arrays

    def score_arrays(self, query_tokens: Iterable[str]) -> _Postings:
        """(documents, normalized scores in [0, 1]) for every document sharing a query term."""
        terms = Counter(t for t in query_tokens if t in self._postings)
        n = len(self._terms)
        if not terms or n == 0:
            return np.empty(0, np.intp), np.empty(0, np.float64)
        avg_length = self._total_length / n or 1.0
        k1, b = self.k1, self.b
        accumulator = np.zeros(len(self._lengths), dtype=np.float64)
        touched = np.zeros(len(self._lengths), dtype=bool)
        best = 0.0
        for term, query_count in terms.items():
            docs, tfs = self._posting_arrays(term)
            idf = math.log(1.0 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            weight = idf * query_count
            best += weight * (k1 + 1.0)
            norm = k1 * (1.0 - b + b * self._lengths[docs] / avg_length)
            accumulator[docs] += weight * tfs * (k1 + 1.0) / (tfs + norm)
            touched[docs] = True
        if best <= 0.0:
            return np.empty(0, np.intp), np.empty(0, np.float64)
        hit = np.flatnonzero(touched)
        return hit, np.minimum(1.0, accumulator[hit] / best)

    def score(self, query_tokens: Iterable[str]) -> dict[int, float]:
        """Like :meth:`score_arrays`, as a ``{document: score}`` dictionary."""
        docs, scores = self.score_arrays(query_tokens)
        return dict(zip(docs.tolist(), scores.tolist(), strict=True))
