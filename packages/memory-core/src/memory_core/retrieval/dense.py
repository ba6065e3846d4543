"""Dense candidate search over the index's unit vectors, with the path chosen by size.

Three paths return the slots nearest to a query:

- ``"exact"``: the compiled fp32 top-k scan over every row (best up to tens of
  thousands of rows, where it takes a few milliseconds);
- ``"quantized"``: an int8 scan of per-row quantized codes (a quarter of the
  bytes); its approximate best rows become candidates;
- ``"ann"``: an approximate HNSW graph (usearch, the ``ann`` extra) for stores
  too large to scan within a query budget.

``"auto"`` picks by the number of rows (:data:`QUANTIZED_FROM`,
:data:`ANN_FROM`; the ANN step only when usearch is installed). Every path
returns candidates only: scores of the returned rows are always recomputed
exactly in fp32 by :meth:`DenseIndex.cosine`, so the path changes which rows
are considered, never the semantic value reported for a row.

Memory: ``4·d`` bytes a row for the fp32 rows that every path keeps for the
exact score, plus ``d + 4`` a row once the quantized codes exist, plus the
graph on the ANN path. Capacity grows geometrically but untouched capacity is
never written, so the operating system does not back it with memory.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from .. import similarity

if TYPE_CHECKING:
    from .ann import AnnIndex

_Scalar = TypeVar("_Scalar", bound=np.generic)

__all__ = ["ANN_FROM", "QUANTIZED_FROM", "DenseIndex", "DensePath"]

DensePath = Literal["auto", "exact", "quantized", "ann"]

#: Rows from which ``"auto"`` scans int8 codes instead of fp32 rows.
QUANTIZED_FROM = 50_000
#: Rows from which ``"auto"`` uses the approximate graph (when usearch is installed).
ANN_FROM = 2_000_000
#: A filtered search scores the allowed rows exhaustively up to this many.
EXHAUSTIVE_ALLOWED = 20_000

_log = logging.getLogger("memory_core.retrieval")


class DenseIndex:
    """Unit float32 rows addressed by slot, searchable by the fastest suitable path."""

    def __init__(self, dim: int, *, path: DensePath = "auto", capacity: int = 1024) -> None:
        if path not in ("auto", "exact", "quantized", "ann"):
            raise ValueError(f"unknown dense search path {path!r}")
        self.dim = dim
        self.path: DensePath = path
        self._rows = np.zeros((max(capacity, 16), dim), dtype=np.float32)
        self._codes: npt.NDArray[np.int8] | None = None
        self._scales: npt.NDArray[np.float32] | None = None
        self._ann: AnnIndex | None = None
        self._ann_stale = True
        self._warned_no_ann = False

    @property
    def capacity(self) -> int:
        """Rows allocated."""
        return int(self._rows.shape[0])

    @property
    def rows(self) -> npt.NDArray[np.float32]:
        """The fp32 rows (a view; zero rows for free slots)."""
        return self._rows

    def memory_bytes(self, used: int) -> dict[str, int]:
        """Bytes held for ``used`` rows by each representation."""
        sizes = {"fp32": used * self.dim * 4}
        if self._codes is not None:
            sizes["int8"] = used * (self.dim + 4)
        if self._ann is not None:
            sizes["ann"] = self._ann.memory_bytes
        return sizes

    def reserve(self, capacity: int) -> None:
        """Grow to at least ``capacity`` rows (existing rows are kept)."""
        if capacity <= self.capacity:
            return
        self._rows = _grown(self._rows, capacity)
        if self._codes is not None and self._scales is not None:
            self._codes = _grown(self._codes, capacity)
            self._scales = _grown(self._scales, capacity)

    def set(self, slot: int, vector: npt.NDArray[np.float32]) -> None:
        """Store a unit vector in ``slot`` (which must be below :attr:`capacity`)."""
        self._rows[slot] = vector
        if self._codes is not None and self._scales is not None:
            quantized = similarity.quantize_rows(vector[None, :])
            self._codes[slot] = quantized.codes[0]
            self._scales[slot] = quantized.scales[0]
        if self._ann is not None:
            self._ann.add(np.array([slot], dtype=np.int64), vector[None, :])

    def clear(self, slot: int) -> None:
        """Empty ``slot``: it scores 0 against every query and leaves the graph."""
        self._rows[slot] = 0.0
        if self._codes is not None and self._scales is not None:
            self._codes[slot] = 0
            self._scales[slot] = 0.0
        if self._ann is not None:
            self._ann.remove(np.array([slot], dtype=np.int64))

    def compact(self, live: npt.NDArray[np.intp]) -> None:
        """Keep only rows ``live`` (in that order) as slots ``0..len(live)-1``."""
        capacity = max(16, len(live))
        rows = np.zeros((capacity, self.dim), dtype=np.float32)
        rows[: len(live)] = self._rows[live]
        self._rows = rows
        if self._codes is not None and self._scales is not None:
            codes = np.zeros((capacity, self.dim), dtype=np.int8)
            scales = np.zeros(capacity, dtype=np.float32)
            codes[: len(live)] = self._codes[live]
            scales[: len(live)] = self._scales[live]
            self._codes, self._scales = codes, scales
        self._ann = None  # slots moved: the graph is rebuilt on its next use
        self._ann_stale = True

    def chosen_path(self, used: int) -> Literal["exact", "quantized", "ann"]:
        """The path a search over ``used`` rows takes."""
        if self.path != "auto":
            if self.path == "ann" and not self._ann_ok():
                return "quantized"
            return self.path
        if used >= ANN_FROM and self._ann_ok():
            return "ann"
        if used >= QUANTIZED_FROM:
            return "quantized"
        return "exact"

    def _ann_ok(self) -> bool:
        from .ann import ann_available

        if ann_available():
            return True
        if not self._warned_no_ann:
            self._warned_no_ann = True
            _log.warning(
                "approximate search needs usearch (pip install 'memory-core[ann]'); "
                "using the quantized scan"
            )
        return False

    def _ensure_codes(self, used: int) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
        if self._codes is None or self._scales is None:
            quantized = similarity.quantize_rows(self._rows[:used])
            codes = np.zeros((self.capacity, self.dim), dtype=np.int8)
            scales = np.zeros(self.capacity, dtype=np.float32)
            codes[:used] = quantized.codes
            scales[:used] = quantized.scales
            self._codes, self._scales = codes, scales
        return self._codes, self._scales

    def _ensure_ann(self, used: int, alive: npt.NDArray[np.bool_]) -> AnnIndex:
        if self._ann is None or self._ann_stale:
            from .ann import AnnIndex

            ann = AnnIndex(self.dim)
            slots = np.flatnonzero(alive[:used]).astype(np.int64)
            if len(slots):
                ann.add(slots, self._rows[slots])
            self._ann, self._ann_stale = ann, False
        return self._ann

    def nearest(
        self,
        query: npt.NDArray[np.float32],
        k: int,
        used: int,
        alive: npt.NDArray[np.bool_],
    ) -> npt.NDArray[np.intp]:
        """Up to ``k`` live slots below ``used`` nearest to the unit ``query``."""
        if used == 0 or k <= 0:
            return np.empty(0, dtype=np.intp)
        path = self.chosen_path(used)
        if path == "ann":
            keys, _ = self._ensure_ann(used, alive).search(query, k)
            found = keys.astype(np.intp)
        elif path == "quantized":
            # Candidates only: the caller re-scores them exactly, so the int8
            # scores need no fp32 re-rank here.
            codes, scales = self._ensure_codes(used)
            found, _ = similarity.topk_int8(codes[:used], scales[:used], query, k)
        else:
            found, _ = similarity.topk_cosine(self._rows[:used], query, k, assume_normalized=True)
        found = found.astype(np.intp)
        return found[alive[found]]

    def nearest_among(
        self, query: npt.NDArray[np.float32], k: int, allowed: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.intp]:
        """Up to ``k`` of the ``allowed`` slots nearest to ``query`` (exact)."""
        if len(allowed) == 0:
            return allowed
        scores = self._rows[allowed] @ query
        if len(allowed) > k:
            return allowed[np.argpartition(-scores, k - 1)[:k]]
        return allowed

    def cosine(
        self, slots: npt.NDArray[np.intp], query: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float64]:
        """Exact cosine of unit ``query`` with each of ``slots`` (float64)."""
        return (self._rows[slots] @ query).astype(np.float64)

    def pairwise(self, slots: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """Cosine between every pair of ``slots`` (for diversity re-ranking)."""
        rows = self._rows[slots]
        return (rows @ rows.T).astype(np.float64)


def _grown(values: npt.NDArray[_Scalar], capacity: int) -> npt.NDArray[_Scalar]:
    out = np.zeros((capacity, *values.shape[1:]), dtype=values.dtype)
    out[: values.shape[0]] = values
    return out
