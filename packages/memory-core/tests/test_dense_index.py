"""DenseIndex on its own: paths by size, rows kept in step across the fp32 rows, the int8
codes and the ANN graph through set, clear, reserve and compact."""

from __future__ import annotations

import logging
import sys

import numpy as np
import numpy.typing as npt
import pytest

from memory_core.retrieval.dense import ANN_FROM, QUANTIZED_FROM, DenseIndex

DIM = 16


def _unit(rng: np.random.Generator, n: int) -> npt.NDArray[np.float32]:
    rows = rng.standard_normal((n, DIM)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def _filled(path: str, rows: npt.NDArray[np.float32], capacity: int = 16) -> DenseIndex:
    index = DenseIndex(DIM, path=path, capacity=capacity)  # type: ignore[arg-type]
    index.reserve(len(rows))
    for slot, row in enumerate(rows):
        index.set(slot, row)
    return index


def _alive(n: int) -> npt.NDArray[np.bool_]:
    return np.ones(n, dtype=np.bool_)


def test_unknown_path_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dense search path 'magic'"):
        DenseIndex(DIM, path="magic")  # type: ignore[arg-type]


def test_auto_path_follows_the_number_of_rows() -> None:
    index = DenseIndex(DIM)
    assert index.chosen_path(QUANTIZED_FROM - 1) == "exact"
    assert index.chosen_path(QUANTIZED_FROM) == "quantized"
    assert index.chosen_path(ANN_FROM) == "ann"
    assert DenseIndex(DIM, path="exact").chosen_path(ANN_FROM) == "exact"


def test_without_usearch_ann_falls_back_to_the_quantized_scan_and_warns_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "usearch", None)  # as if the ann extra were missing
    caplog.set_level(logging.WARNING, logger="memory_core.retrieval")
    index = DenseIndex(DIM, path="ann")
    assert index.chosen_path(10) == "quantized"
    assert index.chosen_path(10) == "quantized"
    assert DenseIndex(DIM).chosen_path(ANN_FROM) == "quantized"
    warnings = [r.getMessage() for r in caplog.records if "usearch" in r.getMessage()]
    assert len(warnings) == 2  # once per index
    assert "pip install 'memory-core[ann]'" in warnings[0]


def test_reserve_grows_and_keeps_rows_codes_included() -> None:
    rng = np.random.default_rng(5)
    rows = _unit(rng, 12)
    index = _filled("quantized", rows)
    assert index.capacity == 16
    index.reserve(8)
    assert index.capacity == 16
    # The first quantized search builds the int8 codes; growing must keep them.
    assert index.nearest(rows[3], 1, 12, _alive(12)).tolist() == [3]
    assert set(index.memory_bytes(12)) == {"fp32", "int8"}
    index.reserve(100)
    assert index.capacity >= 100
    np.testing.assert_array_equal(index.rows[:12], rows)
    more = _unit(rng, 30)
    for slot, row in enumerate(more, start=12):
        index.set(slot, row)
    # Rows set after the codes exist are quantized on the way in.
    for slot in (0, 11, 12, 41):
        query = index.rows[slot]
        assert index.nearest(query, 1, 42, _alive(index.capacity)).tolist() == [slot]


@pytest.mark.parametrize("path", ["exact", "quantized", "ann"])
def test_cleared_slot_is_no_longer_a_candidate(path: str) -> None:
    rows = _unit(np.random.default_rng(9), 20)
    index = _filled(path, rows, capacity=32)
    alive = _alive(32)
    assert index.nearest(rows[7], 1, 20, alive).tolist() == [7]
    index.clear(7)
    alive[7] = False
    assert not index.rows[7].any()
    assert index.cosine(np.array([7]), rows[7]).tolist() == [0.0]
    found = index.nearest(rows[7], 5, 20, alive)
    assert 7 not in found.tolist()
    assert len(found) == 5
    if path == "ann":
        assert index.memory_bytes(20)["ann"] > 0


@pytest.mark.parametrize("path", ["quantized", "ann"])
def test_compact_renumbers_live_rows_in_order(path: str) -> None:
    rows = _unit(np.random.default_rng(2), 40)
    index = _filled(path, rows, capacity=64)
    # Build the codes or graph first, so compaction has them to carry or drop.
    assert index.nearest(rows[0], 1, 40, _alive(64)).tolist() == [0]
    live = np.array([39, 5, 17, 2], dtype=np.intp)
    index.compact(live)
    assert index.capacity == 16
    np.testing.assert_array_equal(index.rows[:4], rows[live])
    assert not index.rows[4:].any()
    for new_slot, old_slot in enumerate(live):
        assert index.nearest(rows[old_slot], 1, 4, _alive(16)).tolist() == [new_slot]


def test_nearest_on_nothing_or_for_nothing_is_empty() -> None:
    rows = _unit(np.random.default_rng(4), 3)
    index = _filled("exact", rows)
    assert index.nearest(rows[0], 3, 0, _alive(16)).tolist() == []
    assert index.nearest(rows[0], 0, 3, _alive(16)).tolist() == []


def test_nearest_among_keeps_the_best_allowed_slots() -> None:
    rows = _unit(np.random.default_rng(8), 10)
    index = _filled("exact", rows)
    query = rows[6]
    empty = np.empty(0, dtype=np.intp)
    assert index.nearest_among(query, 3, empty) is empty
    few = np.array([1, 6], dtype=np.intp)
    assert index.nearest_among(query, 3, few).tolist() == [1, 6]
    allowed = np.arange(10, dtype=np.intp)
    best = index.nearest_among(query, 3, allowed)
    assert len(best) == 3
    assert 6 in best.tolist()
    scores = rows @ query
    assert min(scores[best]) >= np.sort(scores)[-3]


def test_memory_bytes_counts_each_representation() -> None:
    rows = _unit(np.random.default_rng(1), 10)
    exact = _filled("exact", rows)
    assert exact.memory_bytes(10) == {"fp32": 10 * DIM * 4}
    quantized = _filled("quantized", rows)
    quantized.nearest(rows[0], 1, 10, _alive(16))
    assert quantized.memory_bytes(10) == {"fp32": 10 * DIM * 4, "int8": 10 * (DIM + 4)}
