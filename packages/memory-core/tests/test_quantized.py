"""Tests for int8 quantization and quantized top-k: the compiled kernel in every instruction-set
build this CPU runs, its numpy reference, and the public search built on them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
from memory_core._kernels import _quantized_py
from memory_test_utils import assert_releases_gil

compiled: ModuleType | None
try:
    from memory_core._kernels import _quantized as compiled
except ImportError:  # pragma: no cover - only in an unbuilt checkout
    compiled = None

#: Every build of the compiled kernel this machine can run ("scalar" always).
ISAS: tuple[str, ...] = compiled._isas() if compiled is not None else ()

Floats = npt.NDArray[np.float32]
Codes = npt.NDArray[np.int8]
Result = tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]


@contextmanager
def using_isa(name: str) -> Iterator[None]:
    """Run the compiled kernel on the build ``name`` inside the block."""
    assert compiled is not None
    previous = compiled._use_isa(name)
    try:
        yield
    finally:
        compiled._use_isa(previous)


@pytest.fixture(params=[*(f"compiled-{isa}" for isa in ISAS), "reference"])
def impl(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    """Each implementation in turn (every compiled build, then the reference)."""
    name: str = request.param
    if name == "reference":
        yield _quantized_py
        return
    assert compiled is not None
    with using_isa(name.removeprefix("compiled-")):
        yield compiled


def assert_same(got: Result, want: Result) -> None:
    """Exactly equal: indices, scores (bit for bit) and dtypes."""
    assert got[0].dtype == np.int64
    assert got[1].dtype == np.float32
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def each_compiled_build(fn: Any, *args: Any) -> Iterator[tuple[str, Any]]:
    """``fn(*args)`` of the compiled module under every build, with the build's name."""
    assert compiled is not None
    for isa in ISAS:
        with using_isa(isa):
            yield isa, getattr(compiled, fn)(*args)


# --------------------------------------------------------------------------- parity

# Row lengths around every vector width the builds use (16, 32, 64 bytes, and
# their two- and four-chunk loops), plus anything else small.
dims = st.sampled_from([1, 2, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 191, 257])
dims = dims | st.integers(1, 140)
small_integers = st.integers(-3, 3).map(float)
decimals = st.floats(-100, 100, width=32, allow_subnormal=False)


@st.composite
def problems(draw: st.DrawFn, elements: st.SearchStrategy[float]) -> tuple[Floats, Floats, int]:
    """A matrix with repeated rows (ties) and a single query or a batch (possibly empty).

    Rows come from a small drawn pool (ties, shrinkable) or from a seeded
    generator (drawing thousands of elements one by one would be slow).
    """
    n = draw(st.integers(0, 40))
    d = draw(dims)
    pool = draw(hnp.arrays(np.float32, (draw(st.integers(1, 4)), d), elements=elements))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    integers = draw(st.booleans())

    def fresh(shape: tuple[int, int]) -> Floats:
        values = rng.integers(-3, 4, shape) if integers else rng.standard_normal(shape)
        return np.asarray(values, dtype=np.float32)

    rows = fresh((n, d))
    use_pool = rng.random(n) < draw(st.floats(0, 1))
    picks = rng.integers(0, len(pool), n)
    matrix = np.where(use_pool[:, None], pool[picks], rows)
    batch = draw(st.none() | st.integers(0, 9))
    queries = np.where(rng.random((batch or 1, 1)) < 0.5, pool[0], fresh((batch or 1, d)))
    query = queries[0] if batch is None else queries
    return matrix.astype(np.float32), query.astype(np.float32), draw(st.integers(1, 50))


@pytest.mark.skipif(compiled is None, reason="compiled kernel not built")
@settings(max_examples=150, deadline=None)
@given(problems(small_integers | decimals))
def test_every_build_matches_the_reference_exactly(problem: tuple[Floats, Floats, int]) -> None:
    matrix, query, k = problem
    codes, scales = _quantized_py.quantize_rows(matrix)
    want = _quantized_py.topk_int8(codes, scales, query, k)
    for isa, (got_codes, got_scales) in each_compiled_build("quantize_rows", matrix):
        np.testing.assert_array_equal(got_codes, codes, err_msg=isa)
        np.testing.assert_array_equal(got_scales, scales, err_msg=isa)
    for _, got in each_compiled_build("topk_int8", codes, scales, query, k):
        assert_same(got, want)


@pytest.mark.skipif(compiled is None, reason="compiled kernel not built")
@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 30).flatmap(
        lambda n: st.tuples(
            st.just(n),
            dims,
            st.integers(1, 40),
            st.none() | st.integers(1, 9),
        )
    ),
    st.data(),
)
def test_any_int8_codes_match_the_reference_exactly(
    shape: tuple[int, int, int, int | None], data: st.DataObject
) -> None:
    # Codes not made by quantize_rows may hold -128, which a build that
    # negates rows would get wrong; scales may be anything finite.
    n, d, k, batch = shape
    codes = data.draw(hnp.arrays(np.int8, (n, d)))
    scales = data.draw(hnp.arrays(np.float32, n, elements=st.floats(0, 10, width=32)))
    query_shape = (d,) if batch is None else (batch, d)
    query = data.draw(hnp.arrays(np.float32, query_shape, elements=decimals))
    want = _quantized_py.topk_int8(codes, scales, query, k)
    for _, got in each_compiled_build("topk_int8", codes, scales, query, k):
        assert_same(got, want)


@pytest.mark.skipif(compiled is None, reason="compiled kernel not built")
@pytest.mark.parametrize(("n", "d", "batch"), [(3001, 37, 11), (2500, 384, 6), (1030, 65, 4)])
def test_many_row_blocks_and_query_groups(n: int, d: int, batch: int) -> None:
    """Several row blocks, query groups of four and leftover queries and rows."""
    rng = np.random.default_rng(n)
    codes = rng.integers(-128, 128, (n, d), dtype=np.int8)
    scales = rng.random(n, dtype=np.float32)
    queries = rng.standard_normal((batch, d), dtype=np.float32)
    want = _quantized_py.topk_int8(codes, scales, queries, 25)
    for _, got in each_compiled_build("topk_int8", codes, scales, queries, 25):
        assert_same(got, want)


def test_the_portable_build_is_always_available() -> None:
    if compiled is None:  # pragma: no cover - only in an unbuilt checkout
        pytest.fail("compiled kernel not built")
    assert ISAS[0] == "scalar"
    assert compiled._isa() in ISAS


@pytest.mark.skipif(compiled is None, reason="compiled kernel not built")
def test_unknown_or_unsupported_build_is_rejected() -> None:
    assert compiled is not None
    with pytest.raises(ValueError, match="unknown instruction set 'sse1'"):
        compiled._use_isa("sse1")
    assert compiled._isa() == ISAS[-1]


# ---------------------------------------------------------------------- quantization


def test_quantization_is_symmetric_per_row(impl: ModuleType) -> None:
    matrix = np.array(
        [[1.0, -2.0, 0.5], [0.0, 0.0, 0.0], [-254.0, 127.0, 1.0], [3e38, -3e38, 1e-30]],
        dtype=np.float32,
    )
    codes, scales = impl.quantize_rows(matrix)
    assert codes.dtype == np.int8
    assert scales.dtype == np.float32
    assert codes.flags.c_contiguous
    np.testing.assert_array_equal(codes[0], [64, -127, 32])  # 63.5 rounds to even
    np.testing.assert_array_equal(codes[1], [0, 0, 0])
    np.testing.assert_array_equal(codes[2], [-127, 64, 0])  # 63.5 again, 0.5 to 0
    np.testing.assert_array_equal(codes[3], [127, -127, 0])
    np.testing.assert_allclose(scales, [2 / 127, 0, 2, 3e38 / 127], rtol=1e-7)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(0, 12), st.integers(0, 70)),
        elements=st.floats(-(2.0**100), 2.0**100, width=32, allow_subnormal=False),
    )
)
def test_dequantized_rows_are_within_half_a_step(matrix: Floats) -> None:
    codes, scales = similarity.quantize_rows(matrix)
    assert np.abs(codes.astype(np.int16)).max(initial=0) <= 127
    error = np.abs(codes * scales[:, None].astype(np.float64) - matrix)
    # Half a step, plus the float32 rounding of the scale times up to 127 steps.
    assert (error <= scales[:, None].astype(np.float64) * (0.5 + 1e-5)).all()
    nonzero = np.abs(matrix).max(axis=1, initial=0) > 0
    assert (np.abs(codes[nonzero].astype(np.int16)).max(axis=1, initial=0) == 127).all()


def test_subnormal_rows_are_quantized_too(impl: ModuleType) -> None:
    # 127 / 1e-38 overflows float32; the quantization divides in float64.
    tiny = np.float32(1e-38)
    codes, scales = impl.quantize_rows(np.array([[tiny, -tiny / 4]], dtype=np.float32))
    np.testing.assert_array_equal(codes, [[127, -32]])
    assert scales[0] == np.float32(np.float64(tiny) / 127)
    assert scales[0] > 0


@pytest.mark.parametrize("shape", [(0, 5), (4, 0), (0, 0)])
def test_empty_matrices_quantize_to_empty_codes(impl: ModuleType, shape: tuple[int, int]) -> None:
    codes, scales = impl.quantize_rows(np.zeros(shape, dtype=np.float32))
    assert codes.shape == shape
    np.testing.assert_array_equal(scales, np.zeros(shape[0], dtype=np.float32))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_rows_are_rejected(impl: ModuleType, bad: float) -> None:
    matrix = np.ones((4, 3), dtype=np.float32)
    matrix[2, 1] = bad
    matrix[3, 0] = bad
    with pytest.raises(ValueError, match="only finite values; row 2 does not"):
        impl.quantize_rows(matrix)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 3), ()])
def test_quantize_requires_a_2d_matrix(impl: ModuleType, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="matrix must be 2-D"):
        impl.quantize_rows(np.zeros(shape, dtype=np.float32))


# ---------------------------------------------------------------------------- top-k


def quantized(matrix: npt.ArrayLike) -> tuple[Codes, Floats]:
    codes, scales = _quantized_py.quantize_rows(matrix)
    return codes, scales


def test_known_answer(impl: ModuleType) -> None:
    codes, scales = quantized([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [-1.0, 0.0]])
    indices, scores = impl.topk_int8(codes, scales, [1.0, 0.0], 3)
    np.testing.assert_array_equal(indices, [0, 2, 1])
    np.testing.assert_allclose(scores, [1.0, 0.6, 0.0], atol=0.01)


def test_ties_break_by_lower_index(impl: ModuleType) -> None:
    codes, scales = quantized([[1.0, 0.0], [0.5, 0.5], [1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    indices, _ = impl.topk_int8(codes, scales, [1.0, 0.0], 4)
    np.testing.assert_array_equal(indices, [0, 2, 4, 1])


def test_zero_query_scores_every_row_zero(impl: ModuleType) -> None:
    codes, scales = quantized([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    indices, scores = impl.topk_int8(codes, scales, [0.0, 0.0], 2)
    np.testing.assert_array_equal(indices, [0, 1])
    np.testing.assert_array_equal(scores, [0.0, 0.0])


def test_query_is_quantized_like_a_row(impl: ModuleType) -> None:
    # Codes (127, 0) and query codes (64, -127): 127 * 64 = 8128, times both scales.
    codes = np.array([[127, 0]], dtype=np.int8)
    scales = np.array([2.0], dtype=np.float32)
    _, scores = impl.topk_int8(codes, scales, [0.5, -1.0], 1)
    assert scores[0] == np.float32(8128) * (np.float32(2.0) * np.float32(1 / 127))


def test_batch_equals_stacked_single_queries(impl: ModuleType) -> None:
    rng = np.random.default_rng(1)
    codes, scales = quantized(rng.standard_normal((300, 19)))
    queries = rng.standard_normal((7, 19)).astype(np.float32)
    batch = impl.topk_int8(codes, scales, queries, 9)
    for qi, query in enumerate(queries):
        single = impl.topk_int8(codes, scales, query, 9)
        assert_same((batch[0][qi], batch[1][qi]), single)


def test_k_larger_than_n_is_clipped(impl: ModuleType) -> None:
    codes, scales = quantized(np.eye(3))
    indices, scores = impl.topk_int8(codes, scales, np.ones((2, 3)), 10)
    assert indices.shape == scores.shape == (2, 3)


@pytest.mark.parametrize(("n", "batch", "shape"), [(0, None, (0,)), (0, 3, (3, 0)), (5, 0, (0, 5))])
def test_empty_inputs_give_empty_results(
    impl: ModuleType, n: int, batch: int | None, shape: tuple[int, ...]
) -> None:
    codes, scales = quantized(np.ones((n, 4)))
    query = np.ones(4) if batch is None else np.ones((batch, 4))
    indices, scores = impl.topk_int8(codes, scales, query, 5)
    assert indices.shape == scores.shape == shape
    assert indices.dtype == np.int64
    assert scores.dtype == np.float32


def test_zero_dimension_scores_zero(impl: ModuleType) -> None:
    codes, scales = quantized(np.zeros((3, 0)))
    indices, scores = impl.topk_int8(codes, scales, np.zeros(0), 2)
    np.testing.assert_array_equal(indices, [0, 1])
    np.testing.assert_array_equal(scores, [0.0, 0.0])


def test_nan_scales_rank_last(impl: ModuleType) -> None:
    codes, scales = quantized(np.ones((4, 2)))
    scales[0] = np.nan
    indices, scores = impl.topk_int8(codes, scales, [1.0, 1.0], 4)
    np.testing.assert_array_equal(indices, [1, 2, 3, 0])
    assert np.isnan(scores[3])


def test_prefix_views_are_used_without_a_copy() -> None:
    codes, scales = quantized(np.random.default_rng(2).standard_normal((50, 8)))
    args = _quantized_py.check_topk_int8_args(codes[:20], scales[:20], np.ones(8), 3)
    assert np.shares_memory(args.codes, codes)
    assert np.shares_memory(args.scales, scales)
    got = similarity.topk_int8(codes[:20], scales[:20], np.ones(8), 3)
    assert_same(got, similarity.topk_int8(codes[:20].copy(), scales[:20].copy(), np.ones(8), 3))
    assert (got[0] < 20).all()


def test_non_contiguous_codes_are_accepted(impl: ModuleType) -> None:
    codes, scales = quantized(np.random.default_rng(3).standard_normal((30, 10)))
    wide = np.zeros((30, 20), dtype=np.int8)
    wide[:, ::2] = codes
    assert_same(
        impl.topk_int8(wide[:, ::2], scales, np.ones(10), 5),
        impl.topk_int8(codes, scales, np.ones(10), 5),
    )


# ------------------------------------------------------------------------ validation


@pytest.mark.parametrize("k", [0, -1])
def test_non_positive_k_is_rejected(impl: ModuleType, k: int) -> None:
    with pytest.raises(ValueError, match="k must be a positive integer"):
        impl.topk_int8(np.zeros((2, 2), np.int8), np.ones(2), np.ones(2), k)


def test_non_integer_k_is_rejected(impl: ModuleType) -> None:
    with pytest.raises(TypeError):
        impl.topk_int8(np.zeros((2, 2), np.int8), np.ones(2), np.ones(2), 1.5)


@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.int16])
def test_codes_must_be_int8(impl: ModuleType, dtype: type) -> None:
    with pytest.raises(TypeError, match="codes must be an int8 array"):
        impl.topk_int8(np.zeros((2, 2), dtype), np.ones(2), np.ones(2), 1)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 3), ()])
def test_codes_must_be_2d(impl: ModuleType, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="codes must be 2-D"):
        impl.topk_int8(np.zeros(shape, np.int8), np.ones(2), np.ones(3), 1)


@pytest.mark.parametrize("scales", [np.ones(3), np.ones((2, 1)), 1.0])
def test_scales_must_match_the_rows(impl: ModuleType, scales: Any) -> None:
    with pytest.raises(ValueError, match=r"scales must have shape \(2,\)"):
        impl.topk_int8(np.zeros((2, 3), np.int8), scales, np.ones(3), 1)


@pytest.mark.parametrize("shape", [(), (1, 2, 3)])
def test_query_must_be_1d_or_2d(impl: ModuleType, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="query must be 1-D"):
        impl.topk_int8(np.zeros((2, 3), np.int8), np.ones(2), np.ones(shape), 1)


@pytest.mark.parametrize("shape", [(4,), (2, 2)])
def test_dimension_mismatch_is_rejected(impl: ModuleType, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"query dimension \d does not match codes dimension 3"):
        impl.topk_int8(np.zeros((2, 3), np.int8), np.ones(2), np.ones(shape), 1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_query_is_rejected(impl: ModuleType, bad: float) -> None:
    with pytest.raises(ValueError, match="query must contain only finite values"):
        impl.topk_int8(np.zeros((2, 3), np.int8), np.ones(2), [1.0, bad, 0.0], 1)


def test_dimension_above_the_maximum_is_rejected(impl: ModuleType) -> None:
    d = _quantized_py.MAX_DIM + 1
    with pytest.raises(ValueError, match="dimension 65537 is above the supported maximum 65536"):
        impl.topk_int8(np.zeros((1, d), np.int8), np.ones(1), np.ones(d), 1)


def test_largest_dimension_does_not_overflow(impl: ModuleType) -> None:
    d = _quantized_py.MAX_DIM
    codes = np.full((2, d), -128, dtype=np.int8)
    codes[1] = 127
    _, scores = impl.topk_int8(codes, np.ones(2), -np.ones(d), 2)
    # Query codes are all -127, query scale 1/127; both dot products fit
    # float32 exactly, and an AVX-512 build's biased sums reach -2^31 + 25 M.
    want = np.array([128 * 127 * d, -127 * 127 * d], dtype=np.float32) * np.float32(1 / 127)
    np.testing.assert_array_equal(scores, want)


# ------------------------------------------------------------------ public functions


def test_public_functions_delegate_to_the_selected_kernels() -> None:
    assert kernels.quantize_rows.__module__ in (
        "memory_core._kernels._quantized",
        "memory_core._kernels._quantized_py",
    )
    rows = similarity.quantize_rows(np.eye(3))
    assert isinstance(rows, similarity.QuantizedRows)
    np.testing.assert_array_equal(rows.codes, 127 * np.eye(3, dtype=np.int8))
    indices, _ = similarity.topk_int8(rows.codes, rows.scales, [0.0, 1.0, 0.0], 1)
    np.testing.assert_array_equal(indices, [1])


def test_default_shortlist() -> None:
    assert similarity.default_shortlist(1) == 100
    assert similarity.default_shortlist(10) == 100
    assert similarity.default_shortlist(25) == 250


def unit(rows: npt.ArrayLike) -> Floats:
    return similarity.normalize_rows(rows)


def test_search_returns_exact_scores_in_exact_order() -> None:
    rng = np.random.default_rng(4)
    matrix = unit(rng.standard_normal((500, 24)))
    queries = unit(rng.standard_normal((5, 24)))
    quant = similarity.quantize_rows(matrix)
    indices, scores = similarity.search_quantized(matrix, quant, queries, 7, shortlist=500)
    exact, _ = similarity.topk_cosine(matrix, queries, 7, assume_normalized=True)
    np.testing.assert_array_equal(indices, exact)
    for qi in range(5):
        np.testing.assert_allclose(scores[qi], matrix[indices[qi]] @ queries[qi], rtol=1e-6)
    one = similarity.search_quantized(matrix, quant, queries[2], 7, shortlist=500)
    np.testing.assert_array_equal(one[0], indices[2])
    np.testing.assert_array_equal(one[1], scores[2])


def test_search_breaks_ties_by_lower_index() -> None:
    matrix = unit([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.6, 0.8], [1.0, 0.0]])
    indices, scores = similarity.search_quantized(
        matrix, similarity.quantize_rows(matrix), [1.0, 0.0], 3
    )
    np.testing.assert_array_equal(indices, [1, 2, 4])
    np.testing.assert_array_equal(scores, [1.0, 1.0, 1.0])


def test_search_ranks_nan_rows_last() -> None:
    matrix = unit(np.eye(3))
    quant = similarity.quantize_rows(matrix)
    matrix[1] = np.nan
    indices, scores = similarity.search_quantized(matrix, quant, [0.0, 1.0, 0.0], 3)
    np.testing.assert_array_equal(indices, [0, 2, 1])
    assert np.isnan(scores[2])


def test_search_on_a_prefix_and_with_k_above_n() -> None:
    matrix = unit(np.random.default_rng(5).standard_normal((40, 6)))
    codes, scales = similarity.quantize_rows(matrix)
    indices, scores = similarity.search_quantized(
        matrix[:10], (codes[:10], scales[:10]), np.ones(6) / np.sqrt(6), 50
    )
    assert sorted(indices.tolist()) == list(range(10))
    assert scores.shape == (10,)


def test_search_reads_float64_and_strided_rows_as_float32() -> None:
    matrix = unit(np.random.default_rng(8).standard_normal((60, 12)))
    quant = similarity.quantize_rows(matrix)
    query = matrix[3] + np.float32(0.01)
    want = similarity.search_quantized(matrix, quant, query, 5)
    wide = np.zeros((60, 24), dtype=np.float32)
    wide[:, ::2] = matrix
    assert_same(similarity.search_quantized(wide[:, ::2], quant, query, 5), want)
    assert_same(similarity.search_quantized(matrix.astype(np.float64), quant, query, 5), want)


def test_search_of_an_empty_matrix() -> None:
    matrix = np.zeros((0, 4), dtype=np.float32)
    indices, scores = similarity.search_quantized(
        matrix, similarity.quantize_rows(matrix), np.ones((2, 4)), 3
    )
    assert indices.shape == scores.shape == (2, 0)


def test_search_validation() -> None:
    matrix = unit(np.eye(4))
    quant = similarity.quantize_rows(matrix)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        similarity.search_quantized(matrix, quant, np.ones(4), 0)
    with pytest.raises(ValueError, match="shortlist must be at least k=5; got 4"):
        similarity.search_quantized(matrix, quant, np.ones(4), 5, shortlist=4)
    with pytest.raises(TypeError):
        similarity.search_quantized(matrix, quant, np.ones(4), 2, shortlist=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"matrix shape \(3, 4\) does not match"):
        similarity.search_quantized(matrix[:3], quant, np.ones(4), 2)
    with pytest.raises(ValueError, match="matrix must be 2-D"):
        similarity.search_quantized(matrix[0], quant, np.ones(4), 2)
    with pytest.raises(ValueError, match="query must contain only finite values"):
        similarity.search_quantized(matrix, quant, [np.nan, 0, 0, 0], 2)
    with pytest.raises(TypeError, match="codes must be an int8 array"):
        similarity.search_quantized(matrix, (matrix, quant.scales), np.ones(4), 2)


# -------------------------------------------------------------------------- recall


def clustered(rng: np.random.Generator, n: int, d: int, clusters: int) -> Floats:
    """Unit rows in tight clusters: many near-equal scores, hard for an int8 ranking."""
    centers = unit(rng.standard_normal((clusters, d)))
    labels = rng.integers(0, clusters, n)
    return unit(centers[labels] + 0.25 / np.sqrt(d) * rng.standard_normal((n, d)))


def recall_at_10(matrix: Floats, queries: Floats) -> float:
    got, _ = similarity.search_quantized(matrix, similarity.quantize_rows(matrix), queries, 10)
    want, _ = similarity.topk_cosine(matrix, queries, 10, assume_normalized=True)
    hits = [len(set(g) & set(w)) for g, w in zip(got.tolist(), want.tolist(), strict=True)]
    return sum(hits) / (10 * len(hits))


def test_recall_at_10_on_random_unit_rows() -> None:
    rng = np.random.default_rng(20240601)
    matrix = unit(rng.standard_normal((20_000, 384), dtype=np.float32))
    queries = unit(rng.standard_normal((100, 384), dtype=np.float32))
    assert recall_at_10(matrix, queries) >= 0.99


def test_recall_at_10_on_clustered_rows() -> None:
    rng = np.random.default_rng(20240602)
    matrix = clustered(rng, 20_000, 384, clusters=200)
    # Queries near stored rows: their neighbours are the crowded cluster.
    picks = matrix[rng.integers(0, len(matrix), 100)]
    queries = unit(picks + 0.1 / np.sqrt(384) * rng.standard_normal(picks.shape))
    assert recall_at_10(matrix, queries) >= 0.99


# ----------------------------------------------------------------------------- GIL


@pytest.mark.skipif(compiled is None, reason="compiled kernel not built")
def test_scan_releases_the_gil() -> None:
    assert compiled is not None
    rng = np.random.default_rng(6)
    codes = rng.integers(-127, 128, (200_000, 256), dtype=np.int8)
    scales = rng.random(200_000, dtype=np.float32)
    # About 0.1 s: long against the scheduler's stalls on a loaded machine.
    queries = rng.standard_normal((64, 256), dtype=np.float32)
    kernel = compiled.topk_int8
    assert_releases_gil(lambda: kernel(codes, scales, queries, 10))


@pytest.mark.skipif(compiled is None, reason="compiled kernel not built")
def test_quantization_releases_the_gil() -> None:
    assert compiled is not None
    matrix = np.random.default_rng(7).standard_normal((200_000, 256), dtype=np.float32)
    kernel = compiled.quantize_rows
    assert_releases_gil(lambda: kernel(matrix))
