"""BM25 over an inverted index that scores only the documents a query touches.

Postings are append-only (``array`` of document keys and term frequencies per
term, 6 bytes a posting, so a million documents fit in memory). A query
materializes each of its terms' postings as numpy arrays of documents and
term-frequency parts (cached until the term or the average length changes) and
sums them with one ``bincount``. Removing a
document marks it dead instead of rewriting postings: dead documents are
filtered out at query time, document frequencies are counted over live
documents only, so scores are exactly those of an index that never held the
removed documents. A key is therefore never reused; :meth:`BM25Index.remap`
compacts the index under new keys when the owner wants the space back.

Scores are reported as a fraction of the best score the query could reach
(every query term at saturation in a document of average length), so the
lexical signal is in [0, 1] and comparable across queries.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

_Scalar = TypeVar("_Scalar", bound=np.generic)

__all__ = ["CANDIDATE_POSTINGS", "BM25Index", "LexicalQuery"]

_Postings = tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]

_UNUSED, _ALIVE, _REMOVED = 0, 1, 2
_MAX_TF = 65_535  # term frequencies are stored as uint16; BM25 saturates long before
_CACHE_POSTINGS = 50_000_000  # bound on postings kept materialized for queries

#: Postings a query's candidate search sums at most (beyond its rarest term).
CANDIDATE_POSTINGS = 200_000


class _Term(NamedTuple):
    docs: npt.NDArray[np.int32]  # sorted live documents holding the term
    impacts: npt.NDArray[np.float32]  # their term-frequency parts of BM25
    weight: float  # idf times the term's count in the query


class LexicalQuery(NamedTuple):
    """A query's terms resolved against the index (rarest first) and its best score."""

    terms: tuple[_Term, ...]
    best: float


class BM25Index:
    """Okapi BM25 (k1, b) with incremental add and remove of integer-keyed documents."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._terms: dict[str, int] = {}
        self._docs: list[array[int]] = []
        self._tfs: list[array[int]] = []
        self._arrays: dict[
            int, tuple[int, float, npt.NDArray[np.int32], npt.NDArray[np.float32]]
        ] = {}
        self._cached_postings = 0
        self._lengths = np.zeros(64, dtype=np.float64)
        self._state = np.zeros(64, dtype=np.uint8)
        self._alive = 0
        self._removed = 0  # dead keys still present in postings
        self._in_order = True  # keys were added in increasing order
        self._last_key = -1
        self._total_length = 0.0

    def __len__(self) -> int:
        return self._alive

    def __contains__(self, doc: object) -> bool:
        return (
            isinstance(doc, int)
            and 0 <= doc < len(self._state)
            and bool(self._state[doc] == _ALIVE)
        )

    def reserve(self, size: int) -> None:
        """Make room for document keys below ``size`` without reallocating later."""
        if size > len(self._state):
            self._lengths = _grown(self._lengths, size)
            self._state = _grown(self._state, size)

    def add(self, doc: int, tokens: Iterable[str]) -> None:
        """Index a document under a new non-negative integer key ``doc``.

        Raises:
            ValueError: ``doc`` is negative, or is (or was) already in use.
        """
        if doc < 0:
            raise ValueError(f"document keys must be >= 0, got {doc}")
        if doc >= len(self._state):
            self.reserve(max(doc + 1, 2 * len(self._state)))
        if self._state[doc] != _UNUSED:
            raise ValueError(f"document key {doc} is already used; keys are never reused")
        if doc < self._last_key:
            self._in_order = False
        self._last_key = max(self._last_key, doc)
        counts = Counter(tokens)
        for term, count in counts.items():
            term_id = self._terms.get(term)
            if term_id is None:
                term_id = self._terms[term] = len(self._docs)
                self._docs.append(array("i"))
                self._tfs.append(array("H"))
            self._docs[term_id].append(doc)
            self._tfs[term_id].append(min(count, _MAX_TF))
        length = sum(counts.values())
        self._lengths[doc] = length
        self._state[doc] = _ALIVE
        self._alive += 1
        self._total_length += length

    def remove(self, doc: int) -> None:
        """Forget a document; unknown keys are ignored."""
        if doc not in self:
            return
        self._state[doc] = _REMOVED
        self._alive -= 1
        self._removed += 1
        self._total_length -= float(self._lengths[doc])

    def remap(self, new_keys: npt.NDArray[np.intp]) -> None:
        """Move every live document ``d`` to key ``new_keys[d]``; dead ones are dropped.

        ``new_keys`` covers every key ever used; entries of live documents must
        be distinct and non-negative. Terms left without documents disappear.
        """
        used = len(new_keys)
        live = self._state[:used] == _ALIVE
        size = max(64, int(new_keys[live].max()) + 1 if live.any() else 64)
        lengths = np.zeros(size, dtype=np.float64)
        state = np.zeros(size, dtype=np.uint8)
        lengths[new_keys[live]] = self._lengths[:used][live]
        state[new_keys[live]] = _ALIVE
        terms: dict[str, int] = {}
        docs_out: list[array[int]] = []
        tfs_out: list[array[int]] = []
        for term, term_id in self._terms.items():
            docs = np.frombuffer(self._docs[term_id], dtype=np.int32)
            keep = live[docs]
            if not keep.any():
                continue
            terms[term] = len(docs_out)
            docs_out.append(array("i", new_keys[docs[keep]].astype(np.int32).tobytes()))
            tfs_out.append(
                array("H", np.frombuffer(self._tfs[term_id], dtype=np.uint16)[keep].tobytes())
            )
        self._terms, self._docs, self._tfs = terms, docs_out, tfs_out
        self._arrays.clear()
        self._cached_postings = 0
        self._removed = 0
        moved = new_keys[live]
        self._in_order = self._in_order and bool(np.all(np.diff(moved) > 0))
        self._last_key = int(moved.max()) if len(moved) else -1
        self._lengths, self._state = lengths, state

    def _impacts(
        self, term_id: int, avg_length: float
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """A term's documents and their BM25 term-frequency parts (before idf).

        Cached per term until the term gains a posting or the average length
        changes, so repeated queries over a quiet index only sum.
        """
        docs_array = self._docs[term_id]
        cached = self._arrays.get(term_id)
        if cached is not None and cached[0] == len(docs_array) and cached[1] == avg_length:
            return cached[2], cached[3]
        docs = np.array(docs_array, dtype=np.int32)
        tfs = np.array(self._tfs[term_id], dtype=np.float32)
        if not self._in_order:
            order = np.argsort(docs, kind="stable")
            docs, tfs = docs[order], tfs[order]
        k1 = self.k1
        norm = k1 * (1.0 - self.b + self.b * self._lengths[docs] / avg_length)
        impacts = (tfs * (k1 + 1.0) / (tfs + norm)).astype(np.float32)
        self._cached_postings += len(docs)
        if self._cached_postings > _CACHE_POSTINGS:
            self._arrays.clear()
            self._cached_postings = len(docs)
        self._arrays[term_id] = (len(docs_array), avg_length, docs, impacts)
        return docs, impacts

    def prepare(self, query_tokens: Iterable[str]) -> LexicalQuery | None:
        """Look up a query's terms once, for :meth:`candidates` and :meth:`score_docs`.

        None when no query term occurs in a live document.
        """
        counts = Counter(self._terms[t] for t in query_tokens if t in self._terms)
        n = self._alive
        if not counts or n == 0:
            return None
        avg_length = self._total_length / n or 1.0
        terms: list[_Term] = []
        best = 0.0
        for term_id, query_count in counts.items():
            docs, impacts = self._impacts(term_id, avg_length)
            if self._removed:
                live = self._state[docs] == _ALIVE
                docs, impacts = docs[live], impacts[live]
            if len(docs) == 0:
                continue
            idf = math.log(1.0 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            weight = idf * query_count
            best += weight * (self.k1 + 1.0)
            terms.append(_Term(docs, impacts, weight))
        if not terms or best <= 0.0:
            return None
        terms.sort(key=lambda term: len(term.docs))
        return LexicalQuery(tuple(terms), best)

    def _accumulate(
        self, terms: Iterable[_Term], best: float
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        chosen = list(terms)
        # One bincount over every touched posting: cheaper than per-term scatter-adds.
        totals = np.bincount(
            np.concatenate([term.docs for term in chosen]),
            weights=np.concatenate([term.impacts * np.float32(term.weight) for term in chosen]),
            minlength=len(self._lengths),
        )
        hit = np.flatnonzero(totals)
        return hit, np.minimum(1.0, totals[hit] / best)

    def candidates(
        self,
        query: LexicalQuery,
        k: int,
        allowed: npt.NDArray[np.bool_] | None = None,
        *,
        budget: int = CANDIDATE_POSTINGS,
    ) -> npt.NDArray[np.intp]:
        """Up to ``k`` documents with the best scores on the query's rarest terms.

        The query's terms are taken rarest first until their postings exceed
        ``budget`` (at least one term), so a query's cost stays bounded however
        common its other words are; documents matching only the common words
        are not proposed (their exact scores are still available through
        :meth:`score_docs`). With a small index every term is used and the
        result is the exact lexical top ``k``. ``allowed`` masks documents out.
        Returned documents are sorted by key.
        """
        essential: list[_Term] = []
        postings = 0
        for term in query.terms:
            if essential and postings + len(term.docs) > budget:
                break
            essential.append(term)
            postings += len(term.docs)
        docs, partial = self._accumulate(essential, query.best)
        if allowed is not None:
            keep = allowed[docs]
            docs, partial = docs[keep], partial[keep]
        if len(docs) > k:
            # Chosen by the rarest terms' part of the score; callers score them exactly.
            docs = np.sort(docs[np.argpartition(-partial, k - 1)[:k]])
        return docs

    def score_docs(
        self, query: LexicalQuery | None, docs: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.float64]:
        """Exact normalized scores of the live documents ``docs`` (any order)."""
        totals = np.zeros(len(docs), dtype=np.float64)
        if query is None or len(docs) == 0:
            return totals
        for term in query.terms:
            where = np.searchsorted(term.docs, docs)
            where = np.minimum(where, len(term.docs) - 1)
            found = term.docs[where] == docs
            totals += np.where(found, term.impacts[where], 0.0) * term.weight
        return np.minimum(1.0, totals / query.best)

    def score_arrays(self, query_tokens: Iterable[str]) -> _Postings:
        """(documents, normalized scores in [0, 1]) for every live document sharing a query term."""
        query = self.prepare(query_tokens)
        if query is None:
            return np.empty(0, np.intp), np.empty(0, np.float64)
        return self._accumulate(query.terms, query.best)

    def score(self, query_tokens: Iterable[str]) -> dict[int, float]:
        """Like :meth:`score_arrays`, as a ``{document: score}`` dictionary."""
        docs, scores = self.score_arrays(query_tokens)
        return dict(zip(docs.tolist(), scores.tolist(), strict=True))


def _grown(values: npt.NDArray[_Scalar], size: int) -> npt.NDArray[_Scalar]:
    out = np.zeros(size, dtype=values.dtype)
    out[: len(values)] = values
    return out
