"""AnnIndex over a real usearch HNSW index: recall against exact search, upsert, removal."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import numpy.typing as npt
import pytest

from memory_core.errors import ValidationError
from memory_core.retrieval.ann import AnnIndex, ann_available

DIM = 384
K = 10


def test_usearch_is_installed_for_these_tests() -> None:
    # These tests must run, never skip: the dev and CI environments install the extra.
    assert ann_available()


def _clustered(
    rng: np.random.Generator, n: int, *, clusters: int = 200
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Unit rows around random centres: neighbourhoods like real text embeddings have.

    (Uniform random vectors in 384 dimensions are all nearly equidistant, so their
    "true" top 10 is noise and no ANN index can recall it.)
    """
    centres = rng.standard_normal((clusters, DIM)).astype(np.float32)
    rows = centres[rng.integers(0, clusters, n)] + 0.8 * rng.standard_normal((n, DIM))
    unit: npt.NDArray[np.float32] = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(
        np.float32
    )
    return unit, centres


def _queries(
    rng: np.random.Generator, rows: npt.NDArray[np.float32], count: int
) -> npt.NDArray[np.float32]:
    picked = rows[rng.choice(len(rows), count, replace=False)]
    noisy = picked + 0.08 * rng.standard_normal(picked.shape)
    unit: npt.NDArray[np.float32] = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(
        np.float32
    )
    return unit


def _recall(
    index: AnnIndex, rows: npt.NDArray[np.float32], queries: npt.NDArray[np.float32]
) -> float:
    exact = np.argsort(-(queries @ rows.T), axis=1)[:, :K]
    hits = 0
    for query, truth in zip(queries, exact, strict=True):
        keys, scores = index.search(query, K)
        assert len(keys) == K
        assert np.all(np.diff(scores) <= 1e-6)  # best first
        np.testing.assert_allclose(scores, rows[keys] @ query, atol=0.03)
        hits += len(set(keys.tolist()) & set(truth.tolist()))
    return hits / (len(queries) * K)


@pytest.fixture(scope="module")
def dataset() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    rng = np.random.default_rng(20_000)
    rows, _ = _clustered(rng, 20_000)
    return rows, _queries(rng, rows, 200)


def test_recall_at_10_on_20k(
    dataset: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]],
) -> None:
    rows, queries = dataset
    index = AnnIndex(DIM)  # defaults: f16, M=16, ef_add=128, ef_search=64, 1 thread
    index.add(np.arange(len(rows), dtype=np.int64), rows)
    assert len(index) == len(rows)
    assert index.memory_bytes > len(rows) * DIM * 2  # at least the f16 vectors
    assert _recall(index, rows, queries) >= 0.95


@pytest.mark.parametrize(("dtype", "floor"), [("f32", 0.95), ("i8", 0.8)])
def test_recall_other_precisions(dtype: str, floor: float) -> None:
    rng = np.random.default_rng(4_000)
    rows, _ = _clustered(rng, 4_000, clusters=40)
    queries = _queries(rng, rows, 100)
    index = AnnIndex(DIM, dtype=dtype)  # type: ignore[arg-type]
    index.add(np.arange(len(rows), dtype=np.int64), rows)
    assert _recall(index, rows, queries) >= floor


def _unit(rng: np.random.Generator, n: int, dim: int = 32) -> npt.NDArray[np.float32]:
    rows = rng.standard_normal((n, dim))
    unit: npt.NDArray[np.float32] = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(
        np.float32
    )
    return unit


@pytest.fixture
def small() -> tuple[AnnIndex, npt.NDArray[np.float32]]:
    rows = _unit(np.random.default_rng(1), 50)
    index = AnnIndex(32, dtype="f32")
    index.add(np.arange(100, 150, dtype=np.int64), rows)
    return index, rows


def test_search_finds_the_exact_vector(small: tuple[AnnIndex, npt.NDArray[np.float32]]) -> None:
    index, rows = small
    keys, scores = index.search(rows[7], 3)
    assert keys.dtype == np.int64
    assert scores.dtype == np.float32
    assert keys[0] == 107
    assert scores[0] == pytest.approx(1.0, abs=1e-5)


def test_upsert_replaces_vectors(small: tuple[AnnIndex, npt.NDArray[np.float32]]) -> None:
    index, rows = small
    replacement = _unit(np.random.default_rng(2), 2)
    index.add(np.array([107, 500], dtype=np.int64), replacement)
    assert len(index) == 51  # 107 replaced, 500 new
    keys, scores = index.search(replacement[0], 1)
    assert keys[0] == 107
    assert scores[0] == pytest.approx(1.0, abs=1e-5)
    keys, scores = index.search(rows[7], 1)  # the old vector of 107 is gone
    assert not (keys[0] == 107 and scores[0] > 0.999)
    assert 500 in index


def test_remove(small: tuple[AnnIndex, npt.NDArray[np.float32]]) -> None:
    index, rows = small
    assert index.remove(np.array([107, 108, 9_999], dtype=np.int64)) == 2
    assert len(index) == 48
    assert 107 not in index
    assert 109 in index
    keys, _ = index.search(rows[7], 48)
    assert 107 not in keys.tolist()
    assert 108 not in keys.tolist()
    assert len(keys) == 48
    assert index.remove(np.array([107], dtype=np.int64)) == 0
    index.add(np.array([107], dtype=np.int64), rows[7:8])  # re-adding after removal works
    assert index.search(rows[7], 1)[0][0] == 107


def test_empty_index() -> None:
    index = AnnIndex(16)
    assert len(index) == 0
    keys, scores = index.search(np.ones(16, dtype=np.float32), 5)
    assert keys.shape == (0,)
    assert keys.dtype == np.int64
    assert scores.shape == (0,)
    assert scores.dtype == np.float32
    assert index.remove(np.array([1], dtype=np.int64)) == 0
    index.add(np.empty(0, dtype=np.int64), np.empty((0, 16), dtype=np.float32))
    assert len(index) == 0
    assert index.memory_bytes >= 0


def test_k_larger_than_size(small: tuple[AnnIndex, npt.NDArray[np.float32]]) -> None:
    index, rows = small
    keys, scores = index.search(rows[0], 500)
    assert sorted(keys.tolist()) == list(range(100, 150))
    assert np.all(np.diff(scores) <= 1e-6)


@pytest.mark.parametrize(
    ("keys", "vectors", "field"),
    [
        (np.array([1, 1]), np.zeros((2, 32)), "keys"),  # duplicate
        (np.array([-1]), np.zeros((1, 32)), "keys"),  # negative
        (np.array([[1]]), np.zeros((1, 32)), "keys"),  # not 1-D
        (np.array([1.5]), np.zeros((1, 32)), "keys"),  # not ints
        (np.array([1, 2]), np.zeros((1, 32)), "vectors"),  # count mismatch
        (np.array([1]), np.zeros((1, 31)), "vectors"),  # wrong dim
        (np.array([1]), np.full((1, 32), np.nan), "vectors"),  # not finite
    ],
)
def test_add_rejects_bad_input(
    small: tuple[AnnIndex, npt.NDArray[np.float32]],
    keys: npt.NDArray[np.generic],
    vectors: npt.NDArray[np.generic],
    field: str,
) -> None:
    index, _ = small
    with pytest.raises(ValidationError) as caught:
        index.add(keys, vectors)
    assert caught.value.field == field
    assert len(index) == 50  # nothing written
    assert 1 not in index


def test_search_rejects_bad_input(small: tuple[AnnIndex, npt.NDArray[np.float32]]) -> None:
    index, rows = small
    with pytest.raises(ValidationError, match="shape"):
        index.search(rows[:2], 3)
    with pytest.raises(ValidationError, match="NaN"):
        index.search(np.full(32, np.nan), 3)
    with pytest.raises(ValidationError, match="k must"):
        index.search(rows[0], 0)


@pytest.mark.parametrize(
    "options",
    [{"dim": 0}, {"dtype": "f64"}, {"connectivity": 0}, {"threads": 0}, {"expansion_search": -1}],
)
def test_bad_parameters(options: dict[str, object]) -> None:
    settings: dict[str, object] = {"dim": 8}
    settings.update(options)
    dim = settings.pop("dim")
    with pytest.raises(ValidationError):
        AnnIndex(dim, **settings)  # type: ignore[arg-type]


def test_threads_and_expansion_are_adjustable(
    small: tuple[AnnIndex, npt.NDArray[np.float32]],
) -> None:
    index, rows = small
    assert index.threads == 1
    index.threads = 2
    index.expansion_search = 200
    assert index.expansion_search == 200
    assert index.search(rows[3], 1)[0][0] == 103
    with pytest.raises(ValidationError):
        index.threads = 0


def test_concurrent_upserts_and_searches() -> None:
    rng = np.random.default_rng(3)
    rows = _unit(rng, 400)
    index = AnnIndex(32)

    def write(start: int) -> None:
        for chunk in range(start, 400, 40):
            index.add(np.arange(chunk, chunk + 20, dtype=np.int64), rows[chunk : chunk + 20])

    def read(_: int) -> None:
        for row in rows[:50]:
            keys, scores = index.search(row, 5)
            assert len(keys) == len(scores) <= 5

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(write, 0), pool.submit(write, 20), pool.submit(read, 0)]:
            future.result()
    assert len(index) == 400
    assert index.search(rows[123], 1)[0][0] == 123
