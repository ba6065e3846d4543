"""Task contexts stored column-wise, so context match is computed for many rows at once.

Used by the episode index and the pattern index. Strings are interned as small
integers; the score is the vectorized twin of
:func:`memory_core.retrieval.signals.context_match` (tests check they agree).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..models import TaskContext
from .signals import CONTEXT_WEIGHTS

__all__ = ["ContextColumns"]

_COMPLEXITY_IDS = {"simple": 0, "moderate": 1, "complex": 2}
_TAG_SLOTS = 8  # tag ids kept column-wise per row; rows with more are checked one by one
_UNSET = -1
_UNKNOWN = -2  # a query value never stored: matches nothing


class _Vocabulary:
    """Interns lower-cased strings as small integers."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def id_of(self, value: str | None, *, add: bool) -> int:
        if not value:
            return _UNSET
        key = value.lower()
        found = self._ids.get(key)
        if found is None:
            if not add:
                return _UNKNOWN
            found = self._ids[key] = len(self._ids)
        return found


class ContextColumns:
    """Per-row domain, language, framework, complexity and tags of a growable table."""

    def __init__(self, capacity: int) -> None:
        self._ids = np.full((capacity, 4), _UNSET, dtype=np.int32)
        self._tag_count = np.zeros(capacity, dtype=np.int32)
        self._tag_ids = np.full((capacity, _TAG_SLOTS), _UNSET, dtype=np.int32)
        self._tags: list[tuple[str, ...]] = [()] * capacity
        self._domains = _Vocabulary()
        self._languages = _Vocabulary()
        self._frameworks = _Vocabulary()
        self._tag_vocabulary = _Vocabulary()
        # rows whose filter tags do not fit the tag-id columns
        self._overflow: dict[int, frozenset[str]] = {}

    def grow(self, capacity: int) -> None:
        """Make room for ``capacity`` rows (existing rows are kept)."""
        old = self._ids.shape[0]
        if capacity <= old:
            return
        ids = np.full((capacity, 4), _UNSET, dtype=np.int32)
        ids[:old] = self._ids
        counts = np.zeros(capacity, dtype=np.int32)
        counts[:old] = self._tag_count
        tag_ids = np.full((capacity, _TAG_SLOTS), _UNSET, dtype=np.int32)
        tag_ids[:old] = self._tag_ids
        self._ids, self._tag_count, self._tag_ids = ids, counts, tag_ids
        self._tags.extend([()] * (capacity - old))

    def compact(self, live: npt.NDArray[np.intp]) -> None:
        """Keep only rows ``live`` (in that order) as rows ``0..len(live)-1``."""
        capacity = max(16, len(live))
        old_tags = self._tags
        rows = live.tolist()
        new_row = {old: new for new, old in enumerate(rows)}
        self._ids = self._ids[live]
        self._tag_count = self._tag_count[live]
        self._tag_ids = self._tag_ids[live]
        self._tags = [old_tags[row] for row in rows]
        self._overflow = {
            new_row[row]: tags for row, tags in self._overflow.items() if row in new_row
        }
        self.grow(capacity)

    def _row(self, context: TaskContext, *, add: bool) -> list[int]:
        return [
            self._domains.id_of(context.domain, add=add),
            self._languages.id_of(context.language, add=add),
            self._frameworks.id_of(context.framework, add=add),
            _COMPLEXITY_IDS.get(context.complexity, _UNSET),
        ]

    def set(self, row: int, context: TaskContext, extra_tags: tuple[str, ...] = ()) -> None:
        """Store ``context`` in ``row``; ``extra_tags`` count for tag filters only."""
        tags = tuple(sorted(set(context.tags)))
        self._ids[row] = self._row(context, add=True)
        self._tag_count[row] = len(tags)
        self._tags[row] = tags
        filter_tags = sorted({tag.lower() for tag in (*tags, *extra_tags)})
        self._tag_ids[row] = _UNSET
        for position, tag in enumerate(filter_tags[:_TAG_SLOTS]):
            self._tag_ids[row, position] = self._tag_vocabulary.id_of(tag, add=True)
        if len(filter_tags) > _TAG_SLOTS:
            self._overflow[row] = frozenset(filter_tags)
        else:
            self._overflow.pop(row, None)

    def clear(self, row: int) -> None:
        """Forget the context in ``row``."""
        self._ids[row] = _UNSET
        self._tag_count[row] = 0
        self._tags[row] = ()
        self._tag_ids[row] = _UNSET
        self._overflow.pop(row, None)

    def rows_with_domain(self, domain: str, used: int) -> npt.NDArray[np.bool_]:
        """Mask over rows ``0..used-1`` whose domain is ``domain``."""
        wanted = self._domains.id_of(domain, add=False)
        if wanted < 0:
            return np.zeros(used, dtype=bool)
        mask: npt.NDArray[np.bool_] = self._ids[:used, 0] == wanted
        return mask

    def rows_with_tags(self, tags: tuple[str, ...], used: int) -> npt.NDArray[np.bool_]:
        """Mask over rows ``0..used-1`` carrying every one of ``tags``."""
        mask = np.ones(used, dtype=bool)
        for tag in tags:
            wanted = self._tag_vocabulary.id_of(tag, add=False)
            if wanted < 0:
                return np.zeros(used, dtype=bool)
            has = (self._tag_ids[:used] == wanted).any(axis=1)
            for row, row_tags in self._overflow.items():
                if row < used:
                    has[row] = tag.lower() in row_tags
            mask &= has
        return mask

    def match(self, query: TaskContext, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """Context match in [0, 1] of ``query`` against each of ``rows``."""
        w = CONTEXT_WEIGHTS
        wanted = self._row(query, add=False)
        ids = self._ids[rows]
        score = w["domain"] * (ids[:, 0] == wanted[0]).astype(np.float64)
        total = w["domain"]
        if query.language:
            total += w["language"]
            score += w["language"] * (ids[:, 1] == wanted[1])
        if query.framework:
            total += w["framework"]
            score += w["framework"] * (ids[:, 2] == wanted[2])
        if query.tags:
            tags = set(query.tags)
            total += w["tags"]
            stored = self._tags
            shared = np.fromiter(
                (len(tags.intersection(stored[row])) for row in rows.tolist()),
                np.float64,
                len(rows),
            )
            union = len(tags) + self._tag_count[rows] - shared
            score += w["tags"] * shared / union
        total += w["complexity"]
        score += w["complexity"] * (ids[:, 3] == wanted[3])
        result: npt.NDArray[np.float64] = score / total
        return result
