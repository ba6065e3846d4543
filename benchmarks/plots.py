"""Measure and plot how retrieval and mining scale; PNGs and their data go to benchmarks/plots/.

    python benchmarks/plots.py                      # both plots, default sizes
    python benchmarks/plots.py --only mining        # one of them
    python benchmarks/plots.py --retrieval-sizes 1000 10000 --queries 50

Retrieval: a fresh in-memory ``SelfLearningMemory`` per store size, filled with
generated episodes by ``import_episodes(learn=False)``, then p50/p95 latency of
``retrieve_relevant_context`` over distinct generated tasks (query cache off, so
every call does the full work). Mining: median wall time of
``mining.frequent_sequences`` (gapped, PrefixSpan) and ``mining.mine_ngrams``
(contiguous 2- to 5-grams) on generated tool sequences at 1 % support, the
public API including the encoding of items. Needs matplotlib (the bench extra).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import matplotlib

matplotlib.use("Agg")  # files only; never open a window
import matplotlib.pyplot as plt

from memory_core import MemoryConfig, SelfLearningMemory, mining
from memory_core._kernels import COMPILED
from memory_test_utils.workloads import generate_episodes, generate_tool_sequences

OUT = Path(__file__).resolve().parent / "plots"
RETRIEVAL_SIZES = (1_000, 10_000, 50_000, 100_000)
MINING_SIZES = (10_000, 25_000, 50_000, 100_000, 200_000, 400_000)
MINING_SUPPORT = 0.01
WARMUP = 20


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in [0, 1])."""
    return sorted_values[round(q * (len(sorted_values) - 1))]


async def retrieval_latency(size: int, queries: int) -> dict[str, float]:
    """p50/p95 milliseconds of one retrieval on a store of ``size`` episodes."""
    # Distinct seeds: the queries are new tasks, not copies of stored episodes.
    tasks = [(e.task_description, e.context) for e in generate_episodes(queries, seed=99)]
    warmup = [(e.task_description, e.context) for e in generate_episodes(WARMUP, seed=98)]
    async with SelfLearningMemory(MemoryConfig(query_cache_size=0)) as memory:
        started = time.perf_counter()
        await memory.import_episodes(generate_episodes(size, seed=11), learn=False)
        import_s = time.perf_counter() - started
        # Warm-up (lazy index builds, first-call allocations) on tasks that are not timed.
        for description, context in warmup:
            await memory.retrieve_relevant_context(description, context)
        times = []
        for description, context in tasks:
            t0 = time.perf_counter()
            await memory.retrieve_relevant_context(description, context)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "size": size,
        "queries": queries,
        "p50_ms": percentile(times, 0.50),
        "p95_ms": percentile(times, 0.95),
        "import_s": import_s,
    }


def median_wall_s(fn: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``fn`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def mining_time(size: int, repeats: int) -> dict[str, float]:
    """Median seconds of gapped and contiguous mining on ``size`` tool sequences."""
    sequences = generate_tool_sequences(size, seed=17, alphabet=100)
    gapped = median_wall_s(
        lambda: mining.frequent_sequences(sequences, min_support=MINING_SUPPORT), repeats
    )
    ngrams = median_wall_s(
        lambda: mining.mine_ngrams(sequences, min_n=2, max_n=5, min_support=MINING_SUPPORT),
        repeats,
    )
    return {"size": size, "frequent_sequences_s": gapped, "mine_ngrams_s": ngrams}


def _machine_note() -> str:
    kernels = "compiled kernels" if COMPILED else "numpy reference kernels"
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, CPython {platform.python_version()}, {kernels}"


def plot_retrieval(points: Sequence[dict[str, float]], path: Path) -> None:
    sizes = [p["size"] for p in points]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(sizes, [p["p50_ms"] for p in points], marker="o", label="p50")
    ax.plot(sizes, [p["p95_ms"] for p in points], marker="s", label="p95")
    ax.set_xscale("log")
    ax.set_xticks(sizes, labels=[f"{size:,}" for size in sizes])
    ax.minorticks_off()
    ax.set_xlabel("episodes in the store (log scale)")
    ax.set_ylabel("retrieve_relevant_context latency (ms)")
    ax.set_title("Retrieval latency vs store size (in-memory storage, top 5)")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.text(0.01, 0.01, _machine_note(), fontsize=7, alpha=0.7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_mining(points: Sequence[dict[str, float]], path: Path) -> None:
    sizes = [p["size"] for p in points]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(
        sizes,
        [p["frequent_sequences_s"] for p in points],
        marker="o",
        label="frequent_sequences (gapped, PrefixSpan)",
    )
    ax.plot(
        sizes, [p["mine_ngrams_s"] for p in points], marker="s", label="mine_ngrams (2–5-grams)"
    )
    ax.set_xlabel("tool sequences (mean length 17.5, 100 tools)")
    ax.set_ylabel("median wall time (s)")
    ax.set_title(f"Mining time vs sequences (support {MINING_SUPPORT:.0%}, public API)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.text(0.01, 0.01, _machine_note(), fontsize=7, alpha=0.7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _save(out: Path, stem: str, points: list[dict[str, float]]) -> None:
    data: dict[str, Any] = {"machine": _machine_note(), "points": points}
    (out / f"{stem}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _table(points: Sequence[dict[str, float]], columns: Sequence[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
    for point in points:
        cells = [f"{point[c]:,}" if c == "size" else f"{point[c]:.3g}" for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", choices=["retrieval", "mining"], help="make one plot only")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    parser.add_argument("--retrieval-sizes", type=int, nargs="+", default=RETRIEVAL_SIZES)
    parser.add_argument("--queries", type=int, default=200, help="retrievals timed per size")
    parser.add_argument("--mining-sizes", type=int, nargs="+", default=MINING_SIZES)
    parser.add_argument("--repeats", type=int, default=3, help="timed mining runs per size")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if min([*args.retrieval_sizes, *args.mining_sizes, args.queries, args.repeats]) < 1:
        raise SystemExit("error: sizes, --queries and --repeats must be >= 1")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "retrieval"):
        points = []
        for size in sorted(args.retrieval_sizes):
            points.append(anyio.run(retrieval_latency, size, args.queries, backend="trio"))
            print(f"retrieval: {points[-1]}", flush=True)
        plot_retrieval(points, args.out / "retrieval_latency.png")
        _save(args.out, "retrieval_latency", points)
        print(_table(points, ["size", "p50_ms", "p95_ms", "import_s"]))
    if args.only in (None, "mining"):
        points = []
        for size in sorted(args.mining_sizes):
            points.append(mining_time(size, args.repeats))
            print(f"mining: {points[-1]}", flush=True)
        plot_mining(points, args.out / "mining_time.png")
        _save(args.out, "mining_time", points)
        print(_table(points, ["size", "frequent_sequences_s", "mine_ngrams_s"]))
    print(f"plots written to {args.out}")


if __name__ == "__main__":
    main()
