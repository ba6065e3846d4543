"""Exact cosine top-k on 100k x 384 float32: our kernel against numpy and faiss.

Run with ``pytest benchmarks/bench_similarity.py --benchmark-only``. Every
contender answers the same queries over the same data; numpy and faiss score
pre-normalized rows by inner product, which is what ``assume_normalized=True``
does in ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from memory_core import similarity
from memory_core._kernels import COMPILED
from memory_core._kernels import _similarity_py as reference

N_ROWS = 100_000
DIM = 384
K = 10
BATCH = 32

SINGLE = "topk_cosine single query, 100k x 384 float32"
BATCHED = f"topk_cosine {BATCH} queries, 100k x 384 float32"

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Data:
    rows: Floats
    unit_rows: Floats
    query: Floats
    unit_query: Floats
    queries: Floats
    unit_queries: Floats


@pytest.fixture(scope="module")
def data() -> Data:
    rng = np.random.default_rng(20240601)
    rows = rng.standard_normal((N_ROWS, DIM), dtype=np.float32)
    queries = rng.standard_normal((BATCH, DIM), dtype=np.float32)
    unit_queries = similarity.normalize_rows(queries)
    return Data(
        rows=rows,
        unit_rows=similarity.normalize_rows(rows),
        query=queries[0],
        unit_query=unit_queries[0],
        queries=queries,
        unit_queries=unit_queries,
    )


def numpy_topk(unit_rows: Floats, unit_query: Floats, k: int) -> npt.NDArray[np.intp]:
    """The usual numpy idiom: one matmul, argpartition, then sort the k winners."""
    scores = unit_rows @ unit_query
    top = np.argpartition(-scores, k)[:k]
    return top[np.argsort(-scores[top])]


def numpy_topk_batch(unit_rows: Floats, unit_queries: Floats, k: int) -> npt.NDArray[np.intp]:
    scores = unit_queries @ unit_rows.T
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


def same_rows(got: npt.ArrayLike, want: npt.ArrayLike) -> None:
    """Same top-k set; order among near-equal scores may differ with rounding."""
    assert set(np.asarray(got).tolist()) == set(np.asarray(want).tolist())


def faiss_index(unit_rows: Floats) -> Any:
    faiss = pytest.importorskip("faiss")
    index = faiss.IndexFlatIP(unit_rows.shape[1])
    index.add(unit_rows)
    return index


@pytest.mark.benchmark(group=SINGLE)
def test_ours_cosine(benchmark: Any, data: Data) -> None:
    assert COMPILED, "benchmarking the numpy fallback as 'ours'"
    indices, _ = benchmark(similarity.topk_cosine, data.rows, data.query, K)
    same_rows(indices, numpy_topk(data.unit_rows, data.unit_query, K))


@pytest.mark.benchmark(group=SINGLE)
def test_ours_normalized(benchmark: Any, data: Data) -> None:
    assert COMPILED, "benchmarking the numpy fallback as 'ours'"
    indices, _ = benchmark(
        similarity.topk_cosine, data.unit_rows, data.unit_query, K, assume_normalized=True
    )
    same_rows(indices, numpy_topk(data.unit_rows, data.unit_query, K))


@pytest.mark.benchmark(group=SINGLE)
def test_reference_cosine(benchmark: Any, data: Data) -> None:
    benchmark(reference.topk_cosine, data.rows, data.query, K)


@pytest.mark.benchmark(group=SINGLE)
def test_numpy_matmul_argpartition(benchmark: Any, data: Data) -> None:
    benchmark(numpy_topk, data.unit_rows, data.unit_query, K)


@pytest.mark.benchmark(group=SINGLE)
def test_faiss_flat_ip(benchmark: Any, data: Data) -> None:
    index = faiss_index(data.unit_rows)
    _, indices = benchmark(index.search, data.unit_query[None, :], K)
    same_rows(indices[0], numpy_topk(data.unit_rows, data.unit_query, K))


@pytest.mark.benchmark(group=BATCHED)
def test_ours_batch_normalized(benchmark: Any, data: Data) -> None:
    assert COMPILED, "benchmarking the numpy fallback as 'ours'"
    benchmark(similarity.topk_cosine, data.unit_rows, data.unit_queries, K, assume_normalized=True)


@pytest.mark.benchmark(group=BATCHED)
def test_numpy_batch_matmul_argpartition(benchmark: Any, data: Data) -> None:
    benchmark(numpy_topk_batch, data.unit_rows, data.unit_queries, K)


@pytest.mark.benchmark(group=BATCHED)
def test_faiss_batch_flat_ip(benchmark: Any, data: Data) -> None:
    index = faiss_index(data.unit_rows)
    benchmark(index.search, data.unit_queries, K)
