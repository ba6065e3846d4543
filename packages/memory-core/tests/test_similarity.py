"""Tests for exact cosine top-k: the compiled kernel, its numpy reference and the selector."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import memory_core._kernels as kernels
from memory_core import similarity
from memory_core._kernels import _similarity_py
from memory_test_utils import assert_releases_gil

compiled: ModuleType | None
try:
    from memory_core._kernels import _similarity as compiled
except ImportError:  # pragma: no cover - only in an unbuilt checkout
    compiled = None

needs_compiled = pytest.mark.skipif(compiled is None, reason="compiled kernel not built")

TopK = Callable[..., tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]]


@pytest.fixture(
    params=[
        pytest.param("compiled", marks=needs_compiled),
        pytest.param("reference"),
    ]
)
def topk(request: pytest.FixtureRequest) -> TopK:
    """Each implementation in turn, so every edge case runs against both."""
    module = compiled if request.param == "compiled" else _similarity_py
    assert module is not None
    fn: TopK = module.topk_cosine
    return fn


def exact_cosine(matrix: npt.ArrayLike, queries: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Cosine in float64 with the same zero-vector rule, as ground truth for float inputs."""
    m = np.asarray(matrix, dtype=np.float64)
    q = np.atleast_2d(np.asarray(queries, dtype=np.float64))
    denom = np.linalg.norm(q, axis=1)[:, None] * np.linalg.norm(m, axis=1)[None, :]
    dots = q @ m.T
    return np.where(denom > 0, dots / np.where(denom > 0, denom, 1.0), 0.0)


def assert_same_topk(
    got: tuple[npt.NDArray[Any], npt.NDArray[Any]],
    want: tuple[npt.NDArray[Any], npt.NDArray[Any]],
    truth: npt.NDArray[np.float64],
) -> None:
    """Equal up to float rounding: indices may differ only where the rows' scores tie."""
    got_idx, got_scores = (np.atleast_2d(a) for a in got)
    want_idx, want_scores = (np.atleast_2d(a) for a in want)
    assert got_idx.shape == want_idx.shape
    np.testing.assert_allclose(got_scores, want_scores, rtol=0, atol=1e-5)
    for qi in range(got_idx.shape[0]):
        assert len(set(got_idx[qi].tolist())) == got_idx.shape[1]
        differ = got_idx[qi] != want_idx[qi]
        np.testing.assert_allclose(
            truth[qi, got_idx[qi][differ]], truth[qi, want_idx[qi][differ]], rtol=0, atol=1e-5
        )


def check_result_types(
    result: tuple[npt.NDArray[Any], npt.NDArray[Any]], shape: tuple[int, ...]
) -> None:
    indices, scores = result
    assert indices.dtype == np.int64
    assert scores.dtype == np.float32
    assert indices.shape == shape
    assert scores.shape == shape


@st.composite
def problems(
    draw: st.DrawFn, elements: st.SearchStrategy[float]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], int, bool]:
    n = draw(st.integers(0, 30))
    d = draw(st.integers(0, 37))
    batch = draw(st.none() | st.integers(0, 9))
    k = draw(st.integers(1, 45))
    # Rows drawn from a small pool make duplicate rows, hence exact ties, common.
    pool = draw(hnp.arrays(np.float32, (draw(st.integers(1, 6)), d), elements=elements))
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=n, max_size=n))
    fresh = draw(hnp.arrays(np.float32, (n, d), elements=elements))
    use_pool = draw(hnp.arrays(np.bool_, n))
    matrix = np.where(use_pool[:, None], pool[picks], fresh).astype(np.float32).reshape(n, d)
    query_shape = (d,) if batch is None else (batch, d)
    query = draw(hnp.arrays(np.float32, query_shape, elements=elements))
    return matrix, query, k, draw(st.booleans())


small_integers = st.integers(-3, 3).map(float)
# No magnitudes between 0 and 1e-2, so float32 squares never underflow.
decimals = st.integers(-2000, 2000).map(lambda v: v / 100.0)


@needs_compiled
@settings(max_examples=150, deadline=None)
@given(problems(small_integers))
def test_kernel_matches_reference_exactly_on_integer_data(
    problem: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], int, bool],
) -> None:
    # Small integers make every dot and squared norm exact, so both sides
    # round the same float32 expression identically: ties and order must match.
    matrix, query, k, normalized = problem
    assert compiled is not None
    got = compiled.topk_cosine(matrix, query, k, assume_normalized=normalized)
    want = _similarity_py.topk_cosine(matrix, query, k, assume_normalized=normalized)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    shape = (min(k, matrix.shape[0]),) if query.ndim == 1 else (len(query), min(k, len(matrix)))
    check_result_types(got, shape)


@needs_compiled
@settings(max_examples=100, deadline=None)
@given(problems(decimals))
def test_kernel_matches_reference_on_float_data(
    problem: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], int, bool],
) -> None:
    matrix, query, k, normalized = problem
    assert compiled is not None
    if normalized:
        matrix = similarity.normalize_rows(matrix)
        query = similarity.normalize_rows(np.atleast_2d(query)).reshape(query.shape)
    truth = exact_cosine(matrix, query)
    got = compiled.topk_cosine(matrix, query, k, assume_normalized=normalized)
    want = _similarity_py.topk_cosine(matrix, query, k, assume_normalized=normalized)
    assert_same_topk(got, want, truth)
    # The reference itself agrees with float64 ground truth.
    truth_idx = np.argsort(-truth, axis=1, kind="stable")[:, : min(k, len(matrix))]
    truth_top = (truth_idx, np.take_along_axis(truth, truth_idx, axis=1))
    assert_same_topk(want, truth_top, truth)


@needs_compiled
@pytest.mark.parametrize("normalized", [False, True])
def test_many_row_blocks_and_query_groups(normalized: bool) -> None:
    # d = 1024 gives 32-row blocks, and 11 queries exercise the four-query path
    # and its remainder, across ten blocks.
    rng = np.random.default_rng(7)
    matrix = rng.integers(-2, 3, size=(321, 1024)).astype(np.float32)
    matrix[::17] = matrix[3]
    queries = rng.integers(-2, 3, size=(11, 1024)).astype(np.float32)
    assert compiled is not None
    for k in (1, 9, 321, 500):
        got = compiled.topk_cosine(matrix, queries, k, assume_normalized=normalized)
        want = _similarity_py.topk_cosine(matrix, queries, k, assume_normalized=normalized)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_batch_equals_stacked_single_queries(topk: TopK) -> None:
    rng = np.random.default_rng(1)
    matrix = rng.standard_normal((200, 24)).astype(np.float32)
    queries = rng.standard_normal((6, 24)).astype(np.float32)
    indices, scores = topk(matrix, queries, 5)
    for qi, query in enumerate(queries):
        single_indices, single_scores = topk(matrix, query, 5)
        np.testing.assert_array_equal(indices[qi], single_indices)
        np.testing.assert_allclose(scores[qi], single_scores, rtol=0, atol=1e-6)


def test_known_answer(topk: TopK) -> None:
    matrix = np.array([[1, 0], [0, 1], [1, 1], [-1, 0], [2, 0]], dtype=np.float32)
    indices, scores = topk(matrix, np.array([1, 0], dtype=np.float32), 3)
    np.testing.assert_array_equal(indices, [0, 4, 2])
    np.testing.assert_allclose(scores, [1.0, 1.0, np.sqrt(0.5)], rtol=1e-6)


def test_ties_break_by_lower_index(topk: TopK) -> None:
    matrix = np.tile(np.array([[0.5, 0.25, 1.0]], dtype=np.float32), (9, 1))
    indices, _ = topk(matrix, np.ones(3, dtype=np.float32), 4)
    np.testing.assert_array_equal(indices, [0, 1, 2, 3])


def test_zero_row_and_zero_query_score_zero(topk: TopK) -> None:
    matrix = np.array([[0, 0], [-1, 0], [1, 0]], dtype=np.float32)
    indices, scores = topk(matrix, np.array([1, 0], dtype=np.float32), 3)
    np.testing.assert_array_equal(indices, [2, 0, 1])
    np.testing.assert_array_equal(scores, np.array([1, 0, -1], dtype=np.float32))
    indices, scores = topk(matrix, np.zeros(2, dtype=np.float32), 3)
    np.testing.assert_array_equal(indices, [0, 1, 2])
    np.testing.assert_array_equal(scores, np.zeros(3, dtype=np.float32))


def test_assume_normalized_scores_by_dot_product(topk: TopK) -> None:
    matrix = np.array([[2, 0], [0, 3]], dtype=np.float32)
    _, scores = topk(matrix, np.array([1, 1], dtype=np.float32), 2, assume_normalized=True)
    np.testing.assert_array_equal(scores, np.array([3, 2], dtype=np.float32))


def test_k_larger_than_n_is_clipped(topk: TopK) -> None:
    matrix = np.eye(3, dtype=np.float32)
    check_result_types(topk(matrix, np.ones(3, dtype=np.float32), 10), (3,))
    check_result_types(topk(matrix, np.ones((2, 3), dtype=np.float32), 10), (2, 3))


def test_empty_matrix_gives_empty_results(topk: TopK) -> None:
    matrix = np.empty((0, 4), dtype=np.float32)
    check_result_types(topk(matrix, np.ones(4, dtype=np.float32), 3), (0,))
    check_result_types(topk(matrix, np.ones((3, 4), dtype=np.float32), 3), (3, 0))


def test_empty_batch_gives_empty_results(topk: TopK) -> None:
    matrix = np.eye(4, dtype=np.float32)
    check_result_types(topk(matrix, np.empty((0, 4), dtype=np.float32), 2), (0, 2))


def test_zero_dimension_scores_zero(topk: TopK) -> None:
    indices, scores = topk(np.empty((3, 0), dtype=np.float32), np.empty(0, dtype=np.float32), 2)
    np.testing.assert_array_equal(indices, [0, 1])
    np.testing.assert_array_equal(scores, np.zeros(2, dtype=np.float32))


@pytest.mark.parametrize("k", [0, -1])
def test_non_positive_k_is_rejected(topk: TopK, k: int) -> None:
    with pytest.raises(ValueError, match="k must be a positive integer"):
        topk(np.eye(3, dtype=np.float32), np.ones(3, dtype=np.float32), k)


def test_non_integer_k_is_rejected(topk: TopK) -> None:
    with pytest.raises(TypeError):
        topk(np.eye(3, dtype=np.float32), np.ones(3, dtype=np.float32), 1.5)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 3), ()])
def test_matrix_must_be_2d(topk: TopK, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="matrix must be 2-D"):
        topk(np.ones(shape, dtype=np.float32), np.ones(3, dtype=np.float32), 1)


@pytest.mark.parametrize("shape", [(), (1, 2, 3)])
def test_query_must_be_1d_or_2d(topk: TopK, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="query must be 1-D"):
        topk(np.ones((4, 3), dtype=np.float32), np.ones(shape, dtype=np.float32), 1)


@pytest.mark.parametrize("shape", [(4,), (2, 2)])
def test_dimension_mismatch_is_rejected(topk: TopK, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"query dimension \d does not match matrix dimension 3"):
        topk(np.ones((4, 3), dtype=np.float32), np.ones(shape, dtype=np.float32), 1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_query_is_rejected(topk: TopK, bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        topk(np.eye(3, dtype=np.float32), np.array([1, bad, 0], dtype=np.float32), 1)


@pytest.mark.parametrize("normalized", [False, True])
def test_nan_rows_rank_last(topk: TopK, normalized: bool) -> None:
    matrix = np.array([[np.nan, 1], [-1, 0], [1, 0], [np.nan, 0]], dtype=np.float32)
    query = np.array([1, 0], dtype=np.float32)
    indices, scores = topk(matrix, query, 4, assume_normalized=normalized)
    np.testing.assert_array_equal(indices, [2, 1, 0, 3])
    np.testing.assert_array_equal(scores[:2], [1, -1])
    assert np.isnan(scores[2:]).all()


def test_inputs_are_converted(topk: TopK) -> None:
    rng = np.random.default_rng(2)
    matrix = rng.standard_normal((50, 12)).astype(np.float32)
    query = rng.standard_normal(12).astype(np.float32)
    want = topk(matrix, query, 7)
    fortran = np.asfortranarray(matrix)
    readonly = matrix.copy()
    readonly.flags.writeable = False
    strided = np.repeat(matrix, 2, axis=0)[::2]
    for variant in (fortran, readonly, strided, matrix.astype(np.float64), matrix.tolist()):
        got = topk(variant, query.astype(np.float64), 7)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_allclose(got[1], want[1], rtol=0, atol=1e-6)


def test_public_function_delegates_to_selected_kernel() -> None:
    matrix = np.array([[1, 0], [0, 1]], dtype=np.float32)
    indices, scores = similarity.topk_cosine(matrix, np.array([0, 2], dtype=np.float32), 1)
    np.testing.assert_array_equal(indices, [1])
    np.testing.assert_array_equal(scores, np.array([1], dtype=np.float32))


def test_normalize_rows() -> None:
    matrix = np.array([[3, 4], [0, 0], [0, -2]], dtype=np.float64)
    out = similarity.normalize_rows(matrix)
    assert out.dtype == np.float32
    assert out.flags.c_contiguous
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0], [0.0, -1.0]], rtol=1e-6)
    assert matrix[0, 0] == 3
    float32_input = matrix.astype(np.float32)
    assert similarity.normalize_rows(float32_input) is not float32_input
    assert float32_input[0, 0] == 3


def test_normalize_rows_requires_2d() -> None:
    with pytest.raises(ValueError, match="matrix must be 2-D"):
        similarity.normalize_rows(np.ones(3))


def test_normalized_search_matches_cosine_search() -> None:
    rng = np.random.default_rng(3)
    matrix = rng.standard_normal((300, 16)).astype(np.float32)
    matrix[5] = 0
    query = rng.standard_normal(16).astype(np.float32)
    plain = similarity.topk_cosine(matrix, query, 10)
    unit_query = query / np.linalg.norm(query)
    fast = similarity.topk_cosine(
        similarity.normalize_rows(matrix), unit_query, 10, assume_normalized=True
    )
    assert_same_topk(fast, plain, exact_cosine(matrix, query))


def test_public_names() -> None:
    assert sorted(similarity.__all__) == [
        "QuantizedRows",
        "default_shortlist",
        "normalize_rows",
        "quantize_rows",
        "search_quantized",
        "topk_cosine",
        "topk_int8",
    ]
    assert sorted(kernels.__all__) == [
        "COMPILED",
        "mine_ngrams",
        "prefixspan",
        "quantize_rows",
        "topk_cosine",
        "topk_int8",
    ]
    for module in (similarity, kernels):
        for name in module.__all__:
            assert hasattr(module, name)


@needs_compiled
def test_kernel_releases_the_gil() -> None:
    rng = np.random.default_rng(4)
    matrix = rng.random((60_000, 256), dtype=np.float32)
    queries = rng.random((128, 256), dtype=np.float32)
    assert compiled is not None
    kernel = compiled.topk_cosine

    assert_releases_gil(lambda: kernel(matrix, queries, 10))
