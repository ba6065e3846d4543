"""Int8 quantized top-k on 100k x 384 unit float32 rows: our scan and search against faiss.

Run with ``pytest benchmarks/bench_quantized.py -o python_files=bench_*.py --benchmark-only``.
Every contender answers the same query over the same rows; the exact contenders
(faiss IndexFlatIP on one thread, our ``topk_cosine``) set the answer the int8
ones are checked against by recall@10.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from memory_core import similarity
from memory_core._kernels import COMPILED

N_ROWS = 100_000
DIM = 384
K = 10
BATCH = 32
QUERIES = 50

SINGLE = "top-10 single query, 100k x 384 unit float32"
BATCHED = f"top-10 {BATCH} queries, 100k x 384 unit float32"
BUILD = "quantize_rows, 100k x 384 float32"

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Data:
    rows: Floats
    quantized: similarity.QuantizedRows
    queries: Floats
    exact: npt.NDArray[np.int64]


@pytest.fixture(scope="module")
def data() -> Data:
    rng = np.random.default_rng(20240601)
    rows = similarity.normalize_rows(rng.standard_normal((N_ROWS, DIM), dtype=np.float32))
    queries = similarity.normalize_rows(rng.standard_normal((QUERIES, DIM), dtype=np.float32))
    exact, _ = similarity.topk_cosine(rows, queries, K, assume_normalized=True)
    return Data(rows, similarity.quantize_rows(rows), queries, exact)


def recall(got: npt.ArrayLike, want: npt.NDArray[np.int64]) -> float:
    """Mean share of each query's exact top-k found in its result."""
    got_rows = np.atleast_2d(np.asarray(got)).tolist()
    hits = [len(set(g) & set(w)) for g, w in zip(got_rows, want.tolist(), strict=True)]
    return sum(hits) / (K * len(hits))


@pytest.fixture(scope="module")
def faiss_index(data: Data) -> Any:
    faiss = pytest.importorskip("faiss")
    faiss.omp_set_num_threads(1)
    index = faiss.IndexFlatIP(DIM)
    index.add(data.rows)
    return index


@pytest.mark.benchmark(group=SINGLE)
def test_faiss_flat_ip_one_thread(benchmark: Any, data: Data, faiss_index: Any) -> None:
    _, indices = benchmark(faiss_index.search, data.queries[:1], K)
    assert recall(indices, data.exact[:1]) == 1.0


@pytest.mark.benchmark(group=SINGLE)
def test_ours_exact(benchmark: Any, data: Data) -> None:
    assert COMPILED, "benchmarking the numpy fallback as 'ours'"
    indices, _ = benchmark(
        similarity.topk_cosine, data.rows, data.queries[0], K, assume_normalized=True
    )
    assert recall(indices, data.exact[:1]) == 1.0


@pytest.mark.benchmark(group=SINGLE)
def test_ours_int8_scan(benchmark: Any, data: Data) -> None:
    assert COMPILED, "benchmarking the numpy fallback as 'ours'"
    codes, scales = data.quantized
    benchmark(similarity.topk_int8, codes, scales, data.queries[0], K)
    indices, _ = similarity.topk_int8(codes, scales, data.queries, K)
    assert recall(indices, data.exact) >= 0.95


@pytest.mark.benchmark(group=SINGLE)
def test_ours_search_quantized(benchmark: Any, data: Data) -> None:
    assert COMPILED, "benchmarking the numpy fallback as 'ours'"
    benchmark(similarity.search_quantized, data.rows, data.quantized, data.queries[0], K)
    indices, _ = similarity.search_quantized(data.rows, data.quantized, data.queries, K)
    assert recall(indices, data.exact) >= 0.99


@pytest.mark.benchmark(group=BATCHED)
def test_faiss_flat_ip_one_thread_batch(benchmark: Any, data: Data, faiss_index: Any) -> None:
    benchmark(faiss_index.search, data.queries[:BATCH], K)


@pytest.mark.benchmark(group=BATCHED)
def test_ours_int8_scan_batch(benchmark: Any, data: Data) -> None:
    assert COMPILED, "benchmarking the numpy fallback as 'ours'"
    codes, scales = data.quantized
    benchmark(similarity.topk_int8, codes, scales, data.queries[:BATCH], K)


@pytest.mark.benchmark(group=BATCHED)
def test_ours_search_quantized_batch(benchmark: Any, data: Data) -> None:
    assert COMPILED, "benchmarking the numpy fallback as 'ours'"
    benchmark(similarity.search_quantized, data.rows, data.quantized, data.queries[:BATCH], K)


@pytest.mark.benchmark(group=BUILD)
def test_ours_quantize_rows(benchmark: Any, data: Data) -> None:
    assert COMPILED, "benchmarking the numpy fallback as 'ours'"
    codes, _ = benchmark(similarity.quantize_rows, data.rows)
    np.testing.assert_array_equal(codes, data.quantized.codes)
