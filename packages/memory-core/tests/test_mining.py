"""Tests for sequence mining: the compiled kernels, their references, and the public module."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import memory_core._kernels as kernels
from memory_core import mining
from memory_core._kernels import _mining_py
from memory_core.errors import ValidationError
from memory_test_utils import assert_releases_gil

compiled: ModuleType | None
try:
    from memory_core._kernels import _mining as compiled
except ImportError:  # pragma: no cover - only in an unbuilt checkout
    compiled = None

needs_compiled = pytest.mark.skipif(compiled is None, reason="compiled kernel not built")

Db = list[list[int]]
Patterns = dict[tuple[int, ...], int]


@pytest.fixture(
    params=[
        pytest.param("compiled", marks=needs_compiled),
        pytest.param("reference"),
    ]
)
def kernel(request: pytest.FixtureRequest) -> ModuleType:
    """Each implementation in turn, so every edge case runs against both."""
    module = compiled if request.param == "compiled" else _mining_py
    assert module is not None
    return module


def arrays(db: Sequence[Sequence[int]]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    offsets = np.zeros(len(db) + 1, dtype=np.int64)
    np.cumsum([len(seq) for seq in db], out=offsets[1:])
    tokens = np.array([item for seq in db for item in seq], dtype=np.int32)
    return tokens, offsets


def gapped_patterns(found: Any) -> list[tuple[tuple[int, ...], int]]:
    """A prefixspan result as (pattern, support) pairs, in the kernel's order."""
    items, bounds = found.items.tolist(), found.offsets.tolist()
    return [
        (tuple(items[bounds[i] : bounds[i + 1]]), support)
        for i, support in enumerate(found.support.tolist())
    ]


def ngram_patterns(found: Any) -> list[tuple[tuple[int, ...], int]]:
    return [
        (tuple(row[:length]), support)
        for row, length, support in zip(
            found.grams.tolist(), found.lengths.tolist(), found.support.tolist(), strict=True
        )
    ]


def brute_force(
    db: Db, min_support: int, lengths: range, *, contiguous: bool
) -> list[tuple[tuple[int, ...], int]]:
    """Support of every pattern by enumerating each sequence's runs or subsequences."""
    support: dict[tuple[int, ...], int] = {}
    for seq in db:
        held: set[tuple[int, ...]] = set()
        for n in lengths:
            if n > len(seq):
                break
            if contiguous:
                held.update(tuple(seq[i : i + n]) for i in range(len(seq) - n + 1))
            else:
                held.update(itertools.combinations(seq, n))
        for pattern in held:
            support[pattern] = support.get(pattern, 0) + 1
    kept = [(pattern, count) for pattern, count in support.items() if count >= min_support]
    return sorted(kept, key=lambda pair: (-pair[1], len(pair[0]), pair[0]))


def assert_same_arrays(got: tuple[Any, ...], want: tuple[Any, ...]) -> None:
    assert type(got) is type(want)
    for name, a, b in zip(want._fields, got, want, strict=True):  # type: ignore[attr-defined]
        assert a.dtype == b.dtype, name
        assert a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)


@contextmanager
def pair_table_cells(cells: int) -> Iterator[None]:
    """Temporarily lower the kernel's kids x kids table limit (forces the per-kid path)."""
    from memory_core._kernels import _mining

    saved = _mining._PAIR_TABLE_CELLS
    _mining._PAIR_TABLE_CELLS = cells
    try:
        yield
    finally:
        _mining._PAIR_TABLE_CELLS = saved


@st.composite
def databases(draw: st.DrawFn, max_len: int = 12) -> Db:
    alphabet = draw(st.integers(1, 8))
    # Sequences drawn from a small pool make repeated sequences, hence ties, common.
    seq = st.lists(st.integers(0, alphabet - 1), max_size=max_len)
    pool = draw(st.lists(seq, min_size=1, max_size=4))
    picks = draw(st.lists(st.integers(0, len(pool) - 1) | seq, max_size=14))
    return [pool[pick] if isinstance(pick, int) else pick for pick in picks]


supports = st.integers(1, 4)
limits = st.none() | st.integers(1, 5)


# --- kernel against reference ----------------------------------------------------------------


@needs_compiled
@settings(max_examples=300, deadline=None)
@given(databases(), supports, limits, st.booleans())
def test_prefixspan_kernel_matches_reference(
    db: Db, min_support: int, max_length: int | None, per_kid: bool
) -> None:
    assert compiled is not None
    tokens, offsets = arrays(db)
    want = _mining_py.prefixspan(tokens, offsets, min_support=min_support, max_length=max_length)
    with pair_table_cells(0 if per_kid else 1 << 20):
        got = compiled.prefixspan(tokens, offsets, min_support=min_support, max_length=max_length)
    assert_same_arrays(got, want)


@needs_compiled
@settings(max_examples=300, deadline=None)
@given(
    databases(),
    supports,
    st.integers(1, 4),
    st.none() | st.integers(0, 3),
    st.booleans(),
    st.booleans(),
    st.data(),
)
def test_ngrams_kernel_matches_reference(
    db: Db,
    min_support: int,
    min_n: int,
    extra: int | None,
    with_success: bool,
    with_weights: bool,
    data: st.DataObject,
) -> None:
    assert compiled is not None
    tokens, offsets = arrays(db)
    max_n = None if extra is None else min_n + extra
    success = data.draw(st.lists(st.booleans(), min_size=len(db), max_size=len(db)))
    # Arbitrary floats: the kernel must add them in the reference's order.
    weights = data.draw(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=len(tokens), max_size=len(tokens))
    )
    kwargs: dict[str, Any] = {
        "min_n": min_n,
        "max_n": max_n,
        "min_support": min_support,
        "success": success if with_success else None,
        "weights": weights if with_weights else None,
    }
    want = _mining_py.mine_ngrams(tokens, offsets, **kwargs)
    got = compiled.mine_ngrams(tokens, offsets, **kwargs)
    assert_same_arrays(got, want)


@needs_compiled
def test_kernels_match_reference_on_a_larger_database() -> None:
    assert compiled is not None
    rng = np.random.default_rng(11)
    lengths = rng.integers(0, 25, size=400)
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    tokens = rng.integers(0, 12, size=int(offsets[-1])).astype(np.int32)
    for per_kid in (False, True):
        with pair_table_cells(0 if per_kid else 1 << 20):
            got = compiled.prefixspan(tokens, offsets, min_support=40, max_length=4)
        want = _mining_py.prefixspan(tokens, offsets, min_support=40, max_length=4)
        assert_same_arrays(got, want)
    success = rng.random(lengths.size) < 0.4
    weights = rng.random(tokens.size) * 100
    got_ngrams = compiled.mine_ngrams(
        tokens, offsets, min_n=1, max_n=None, min_support=3, success=success, weights=weights
    )
    want_ngrams = _mining_py.mine_ngrams(
        tokens, offsets, min_n=1, max_n=None, min_support=3, success=success, weights=weights
    )
    assert_same_arrays(got_ngrams, want_ngrams)


@needs_compiled
def test_ngrams_over_a_large_alphabet_match_reference() -> None:
    # 300 frequent items make level 2's key space (300 x 300) too big for the
    # dense table, so this runs the hash table and its growth.
    assert compiled is not None
    rng = np.random.default_rng(12)
    offsets = np.arange(0, 2001 * 20, 20, dtype=np.int64)
    tokens = rng.integers(0, 300, size=int(offsets[-1])).astype(np.int32)
    weights = rng.random(tokens.size)
    for min_support in (1, 2, 3):
        got = compiled.mine_ngrams(tokens, offsets, min_support=min_support, weights=weights)
        want = _mining_py.mine_ngrams(tokens, offsets, min_support=min_support, weights=weights)
        assert_same_arrays(got, want)
        assert got.support.size > 300


# --- against brute force and the PyPI package --------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(databases(max_len=8), supports, limits)
def test_prefixspan_finds_every_frequent_subsequence(
    db: Db, min_support: int, max_length: int | None
) -> None:
    tokens, offsets = arrays(db)
    lengths = range(1, (max_length or 8) + 1)
    want = brute_force(db, min_support, lengths, contiguous=False)
    for module in (compiled, _mining_py):
        if module is not None:
            found = module.prefixspan(
                tokens, offsets, min_support=min_support, max_length=max_length
            )
            assert gapped_patterns(found) == want


@settings(max_examples=150, deadline=None)
@given(databases(), supports, st.integers(1, 4), st.none() | st.integers(0, 3))
def test_ngrams_finds_every_frequent_run(
    db: Db, min_support: int, min_n: int, extra: int | None
) -> None:
    tokens, offsets = arrays(db)
    max_n = None if extra is None else min_n + extra
    want = brute_force(db, min_support, range(min_n, (max_n or 12) + 1), contiguous=True)
    for module in (compiled, _mining_py):
        if module is not None:
            found = module.mine_ngrams(
                tokens, offsets, min_n=min_n, max_n=max_n, min_support=min_support
            )
            assert ngram_patterns(found) == want


@settings(max_examples=100, deadline=None)
@given(databases(), supports, limits)
def test_prefixspan_equals_pypi_package_on_small_databases(
    db: Db, min_support: int, max_length: int | None
) -> None:
    prefixspan = pytest.importorskip("prefixspan")
    miner = prefixspan.PrefixSpan(db)
    if max_length is not None:
        miner.maxlen = max_length
    want = sorted((tuple(pattern), support) for support, pattern in miner.frequent(min_support))
    tokens, offsets = arrays(db)
    found = kernels.prefixspan(tokens, offsets, min_support=min_support, max_length=max_length)
    assert sorted(gapped_patterns(found)) == want


def test_prefixspan_equals_pypi_package_on_a_medium_database() -> None:
    prefixspan = pytest.importorskip("prefixspan")
    workloads = pytest.importorskip("memory_test_utils.workloads")
    db = workloads.generate_tool_sequences(3000, seed=5, alphabet=30, mean_length=8)
    tokens, offsets = arrays(db)
    for min_support in (25, 90):
        want = prefixspan.PrefixSpan(db).frequent(min_support)
        found = kernels.prefixspan(tokens, offsets, min_support=min_support)
        got = gapped_patterns(found)
        assert len(got) > 100
        assert sorted(got) == sorted((tuple(pattern), support) for support, pattern in want)


# --- contract details, both implementations ----------------------------------------------------


def test_prefixspan_known_answer(kernel: ModuleType) -> None:
    db = [[0, 1, 2], [0, 2], [2, 1, 0], [1]]
    found = kernel.prefixspan(*arrays(db), min_support=2)
    assert gapped_patterns(found) == [
        ((0,), 3),
        ((1,), 3),
        ((2,), 3),
        ((0, 2), 2),
    ]
    assert found.items.dtype == np.int32
    assert found.offsets.dtype == np.int64
    assert found.support.dtype == np.int64


def test_prefixspan_counts_each_sequence_once(kernel: ModuleType) -> None:
    db = [[3, 3, 3, 3], [3], [1, 3, 1, 3]]
    found = kernel.prefixspan(*arrays(db), min_support=2)
    assert gapped_patterns(found) == [((3,), 3), ((3, 3), 2)]


def test_ngrams_known_answer_with_statistics(kernel: ModuleType) -> None:
    db = [[0, 1, 2, 0, 1], [0, 1], [2, 0, 1, 2], [1, 2]]
    weights = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 1.0, 2.0, 4.0, 8.0, 0.5, 0.25]
    found = kernel.mine_ngrams(
        *arrays(db),
        min_n=2,
        max_n=3,
        min_support=2,
        success=[True, False, True, True],
        weights=weights,
    )
    assert ngram_patterns(found) == [
        ((0, 1), 3),
        ((1, 2), 3),
        ((2, 0), 2),
        ((0, 1, 2), 2),
        ((2, 0, 1), 2),
    ]
    np.testing.assert_array_equal(found.successes, [2, 3, 2, 2, 2])
    # (0, 1): the first occurrence in each sequence holding it: 1+2, 32+64, 2+4.
    np.testing.assert_array_equal(found.weight_sum, [105.0, 18.75, 15.0, 21.0, 35.0])
    np.testing.assert_array_equal(
        found.grams, [[0, 1, -1], [1, 2, -1], [2, 0, -1], [0, 1, 2], [2, 0, 1]]
    )
    np.testing.assert_array_equal(found.lengths, [2, 2, 2, 3, 3])
    assert found.grams.dtype == np.int32
    assert found.lengths.dtype == np.int32
    assert found.support.dtype == np.int64
    assert found.successes.dtype == np.int64
    assert found.weight_sum.dtype == np.float64


def test_ngrams_without_flags_or_weights_report_zeros(kernel: ModuleType) -> None:
    found = kernel.mine_ngrams(*arrays([[0, 1], [0, 1]]), min_support=2)
    np.testing.assert_array_equal(found.successes, [0])
    np.testing.assert_array_equal(found.weight_sum, [0.0])


def test_ngrams_width_is_max_n_or_the_longest_pattern(kernel: ModuleType) -> None:
    db = [[0, 1, 2, 3], [0, 1, 2, 3]]
    assert kernel.mine_ngrams(*arrays(db), min_n=1, max_n=6).grams.shape == (10, 6)
    assert kernel.mine_ngrams(*arrays(db), min_n=1, max_n=None).grams.shape == (10, 4)
    assert kernel.mine_ngrams(*arrays(db), min_n=5, max_n=None).grams.shape == (0, 5)
    assert kernel.mine_ngrams(*arrays(db), min_n=2, max_n=3, min_support=3).grams.shape == (0, 3)


@pytest.mark.parametrize("db", [[], [[]], [[], [], []]])
def test_empty_databases_give_empty_results(kernel: ModuleType, db: Db) -> None:
    found = kernel.prefixspan(*arrays(db), min_support=1)
    assert found.items.shape == (0,)
    np.testing.assert_array_equal(found.offsets, [0])
    assert found.support.shape == (0,)
    grams = kernel.mine_ngrams(*arrays(db), min_support=1)
    assert grams.grams.shape == (0, 5)
    assert grams.support.shape == (0,)


def test_support_above_the_number_of_sequences_finds_nothing(kernel: ModuleType) -> None:
    db = [[0, 1], [0, 1]]
    assert kernel.prefixspan(*arrays(db), min_support=3).support.shape == (0,)
    assert kernel.mine_ngrams(*arrays(db), min_support=3).support.shape == (0,)


def test_n_items_larger_than_used_is_fine(kernel: ModuleType) -> None:
    db = [[5, 9], [9, 5, 9]]
    found = kernel.prefixspan(*arrays(db), min_support=2, n_items=1000)
    assert gapped_patterns(found) == [((5,), 2), ((9,), 2), ((5, 9), 2)]


def test_inputs_are_converted(kernel: ModuleType) -> None:
    db = [[0, 1, 0], [1, 0]]
    tokens, offsets = arrays(db)
    want = gapped_patterns(kernel.prefixspan(tokens, offsets, min_support=1))
    for tok, off in (
        (tokens.tolist(), offsets.tolist()),
        (tokens.astype(np.uint8), offsets.astype(np.int32)),
        (np.repeat(tokens.astype(np.int64), 2)[::2], offsets),
    ):
        assert gapped_patterns(kernel.prefixspan(tok, off, min_support=1)) == want


@pytest.mark.parametrize(
    ("tokens", "offsets", "message"),
    [
        ([[0, 1]], [0, 2], "tokens must be 1-D"),
        ([0, 1], [[0, 2]], "offsets must be 1-D"),
        ([0.5, 1.0], [0, 2], "tokens must hold integers"),
        ([0, 1], [0.0, 2.0], "offsets must hold integers"),
        ([0, 1], [], "offsets must have length"),
        ([0, 1], [1, 2], "offsets must start at 0 and end at len"),
        ([0, 1], [0, 1], "offsets must start at 0 and end at len"),
        ([0, 1, 2], [0, 2, 1, 3], "offsets must be non-decreasing"),
        ([0, -1], [0, 2], "token ids must be >= 0"),
    ],
)
def test_malformed_databases_are_rejected(
    kernel: ModuleType, tokens: Any, offsets: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        kernel.prefixspan(tokens, offsets, min_support=1)
    with pytest.raises(ValueError, match=message):
        kernel.mine_ngrams(tokens, offsets)


def test_ids_must_be_below_n_items(kernel: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"token ids must be < n_items=3; got 3"):
        kernel.prefixspan([0, 3], [0, 2], min_support=1, n_items=3)
    with pytest.raises(ValueError, match="n_items must be >= 0"):
        kernel.mine_ngrams([], [0], n_items=-1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_support": 0}, "min_support must be >= 1"),
        ({"min_n": 0}, "min_n must be >= 1"),
        ({"min_n": 3, "max_n": 2}, "max_n must be >= min_n=3"),
        ({"success": [True]}, r"success must have shape \(2,\)"),
        ({"success": ["yes", "no"]}, "success must hold booleans"),
        ({"weights": [1.0]}, r"weights must have shape \(3,\)"),
        ({"weights": ["a", "b", "c"]}, "weights must hold real numbers"),
    ],
)
def test_bad_ngram_arguments_are_rejected(
    kernel: ModuleType, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        kernel.mine_ngrams([0, 1, 0], [0, 2, 3], **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_support": 0}, "min_support must be >= 1"),
        ({"min_support": 1, "max_length": 0}, "max_length must be >= 1 or None"),
    ],
)
def test_bad_prefixspan_arguments_are_rejected(
    kernel: ModuleType, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        kernel.prefixspan([0, 1, 0], [0, 2, 3], **kwargs)


def test_non_integer_bounds_are_type_errors(kernel: ModuleType) -> None:
    with pytest.raises(TypeError):
        kernel.prefixspan([0], [0, 1], min_support=1.5)
    with pytest.raises(TypeError):
        kernel.mine_ngrams([0], [0, 1], max_n=2.0)


# --- public module ---------------------------------------------------------------------------


words = st.sampled_from(["plan", "edit", "test", "lint", "commit", 7, ("tuple", 1), None])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(words, max_size=7), max_size=10),
    st.integers(1, 3),
    limits,
    st.booleans(),
)
def test_frequent_sequences_on_hashable_items(
    db: list[list[Any]], min_support: int, max_length: int | None, contiguous: bool
) -> None:
    got = mining.frequent_sequences(
        db, min_support=min_support, max_length=max_length, contiguous=contiguous
    )
    vocabulary = mining.encode_sequences(db)[2]
    code = {item: i for i, item in enumerate(vocabulary)}
    coded = [[code[item] for item in seq] for seq in db]
    want = brute_force(coded, min_support, range(1, (max_length or 7) + 1), contiguous=contiguous)
    assert got == [(tuple(vocabulary[c] for c in pattern), n) for pattern, n in want]


def test_frequent_sequences_orders_by_support_length_then_first_seen() -> None:
    db = [["b", "a"], ["b", "a"], ["a", "c"]]
    assert mining.frequent_sequences(db, min_support=1, max_length=2) == [
        (("a",), 3),
        (("b",), 2),
        (("b", "a"), 2),
        (("c",), 1),
        (("a", "c"), 1),
    ]


@pytest.mark.parametrize(("fraction", "floor"), [(0.25, 3), (0.3, 3), (0.1, 1), (1.0, 10)])
def test_fractional_support_rounds_up(fraction: float, floor: int) -> None:
    db = [["x"]] * floor + [["y"]] * (10 - floor)
    patterns = mining.frequent_sequences(db, min_support=fraction)
    assert (("x",), floor) in patterns
    assert all(support >= floor for _, support in patterns)
    below = [["x"]] * (floor - 1) + [["y"]] * (11 - floor)
    assert (("x",), floor - 1) not in mining.frequent_sequences(below, min_support=fraction)


def test_frequent_sequences_reads_any_iterable_once() -> None:
    source = (iter(("a", "b")) for _ in range(3))
    assert mining.frequent_sequences(source, min_support=3, contiguous=True) == [
        (("a",), 3),
        (("b",), 3),
        (("a", "b"), 3),
    ]


def test_encode_sequences() -> None:
    tokens, offsets, vocabulary = mining.encode_sequences([["a", "b"], [], ("b", "c", "a")])
    assert tokens.dtype == np.int32
    assert offsets.dtype == np.int64
    assert tokens.tolist() == [0, 1, 1, 2, 0]
    assert offsets.tolist() == [0, 2, 2, 5]
    assert vocabulary == ["a", "b", "c"]
    empty = mining.encode_sequences(list[list[str]]())
    assert empty[0].shape == (0,)
    assert empty[1].tolist() == [0]
    assert empty[2] == []


def test_unhashable_items_are_a_type_error() -> None:
    with pytest.raises(TypeError):
        mining.frequent_sequences([[["list"]]], min_support=1)  # type: ignore[type-var]


def test_mine_ngrams_public_statistics() -> None:
    db = [["plan", "edit", "test"], ["plan", "edit"], ["edit", "test"], ["test"]]
    stats = mining.mine_ngrams(
        db,
        min_support=2,
        success=[True, False, True, False],
        weights=[[1.0, 2.0, 3.0], [1.0, 4.0], [2.0, 3.0], [9.0]],
    )
    assert stats == [
        mining.NgramStat(items=("plan", "edit"), support=2, successes=1, mean_weight=4.0),
        mining.NgramStat(items=("edit", "test"), support=2, successes=2, mean_weight=5.0),
    ]
    assert stats[0].success_rate == 0.5
    plain = mining.mine_ngrams(db, min_n=1, max_n=1, min_support=0.75)
    assert [(s.items, s.support, s.successes, s.mean_weight) for s in plain] == [
        (("edit",), 3, 0, None),
        (("test",), 3, 0, None),
    ]
    with pytest.raises(AttributeError):
        stats[0].support = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: mining.frequent_sequences([["a"]], min_support=0), "min_support"),
        (lambda: mining.frequent_sequences([["a"]], min_support=1.5), "min_support"),
        (lambda: mining.frequent_sequences([["a"]], min_support=0.0), "min_support"),
        (lambda: mining.frequent_sequences([["a"]], min_support=True), "min_support"),
        (lambda: mining.frequent_sequences([["a"]], min_support="2"), "min_support"),  # type: ignore[arg-type]
        (lambda: mining.frequent_sequences([["a"]], min_support=1, max_length=0), "max_length"),
        (lambda: mining.mine_ngrams([["a"]], min_n=0), "min_n"),
        (lambda: mining.mine_ngrams([["a"]], min_n=3, max_n=2), "max_n"),
        (lambda: mining.mine_ngrams([["a"]], success=[True, False]), "success"),
        (lambda: mining.mine_ngrams([["a", "b"]], weights=[[1.0]]), "weights"),
        (lambda: mining.mine_ngrams([["a"]], weights=[[1.0], []]), "weights"),
    ],
)
def test_public_validation_errors(call: Callable[[], object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.field == field


def test_public_names() -> None:
    assert sorted(mining.__all__) == [
        "NgramStat",
        "encode_sequences",
        "frequent_sequences",
        "mine_ngrams",
    ]
    for name in mining.__all__:
        assert hasattr(mining, name)
    for name in ("mine_ngrams", "prefixspan"):
        assert name in kernels.__all__
        assert hasattr(kernels, name)


# --- selector and threads --------------------------------------------------------------------


@needs_compiled
def test_prefixspan_releases_the_gil() -> None:
    assert compiled is not None
    rng = np.random.default_rng(8)
    offsets = np.arange(0, 200_001 * 17, 17, dtype=np.int64)
    tokens = rng.integers(0, 100, size=int(offsets[-1])).astype(np.int32)
    kernel = compiled.prefixspan
    assert_releases_gil(lambda: kernel(tokens, offsets, min_support=2000))


@needs_compiled
def test_mine_ngrams_releases_the_gil() -> None:
    assert compiled is not None
    rng = np.random.default_rng(9)
    offsets = np.arange(0, 1_000_001 * 10, 10, dtype=np.int64)
    tokens = rng.integers(0, 200, size=int(offsets[-1])).astype(np.int32)
    kernel = compiled.mine_ngrams
    assert_releases_gil(lambda: kernel(tokens, offsets, min_support=1000))
