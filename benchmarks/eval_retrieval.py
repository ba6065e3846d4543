"""Retrieval quality: hybrid weights against each signal alone, on labelled queries.

Usage: ``python benchmarks/eval_retrieval.py [--episodes 10000] [--queries 300] [--seed 0]
[--weights semantic=0.4,lexical=0.25,...] [--json PATH] [--backend trio|asyncio]``.

Generates a labelled corpus (:func:`memory_test_utils.retrieval_eval.generate_eval_corpus`),
imports it into an in-memory :class:`memory_core.SelfLearningMemory`, and for the hybrid
weights and each retrieval signal alone runs every query with limit 10. Prints a markdown
table of recall@1/5/10, MRR, nDCG@10 and latency percentiles (ms per
``retrieve_relevant_context`` call), then the same split by the kind of query context.
Progress goes to stderr.

The newest episodes complete at the start of the current hour (``--end`` overrides it), so the
recency signal sees ages from 0 to 180 days, as a live memory would.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import anyio
import msgspec

from memory_core import RetrievalWeights
from memory_core.errors import ValidationError
from memory_test_utils.retrieval_eval import (
    EvalReport,
    evaluate_retrieval,
    format_markdown,
    generate_eval_corpus,
    signal_variants,
)


def parse_weights(text: str) -> RetrievalWeights:
    """``"semantic=0.5,lexical=0.3"`` -> RetrievalWeights; signals not named get weight 0."""
    names = RetrievalWeights.__struct_fields__
    values = dict.fromkeys(names, 0.0)
    for item in text.split(","):
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or name not in values:
            raise argparse.ArgumentTypeError(
                f"expected name=value with name one of {', '.join(names)}, got {item!r}"
            )
        try:
            values[name] = float(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: {raw!r} is not a number") from None
    try:
        return RetrievalWeights(**values)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_end(text: str) -> datetime:
    """An ISO 8601 time (UTC when no offset is given)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def positive_int(text: str) -> int:
    """An int >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Command-line options of the script."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=positive_int, default=10_000)
    parser.add_argument("--queries", type=positive_int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--weights",
        type=parse_weights,
        default=None,
        help="hybrid weights as name=value pairs (default: RetrievalWeights())",
    )
    parser.add_argument("--end", type=parse_end, default=None, help="newest episode's time")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    parser.add_argument("--backend", choices=("trio", "asyncio"), default="trio")
    return parser


def log(message: str) -> None:
    """A progress line on stderr."""
    print(message, file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> EvalReport:
    """Generate the corpus and evaluate every variant."""
    end = args.end or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    corpus = generate_eval_corpus(args.episodes, args.queries, seed=args.seed, end=end)
    log(f"corpus: {len(corpus.episodes)} episodes in {time.perf_counter() - started:.1f} s")
    return await evaluate_retrieval(corpus, signal_variants(args.weights), progress=log)


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = build_parser().parse_args(argv)
    report = anyio.run(run, args, backend=args.backend)
    print(format_markdown(report))
    if args.json is not None:
        args.json.write_bytes(msgspec.json.format(msgspec.json.encode(report)))
        log(f"wrote {args.json}")


if __name__ == "__main__":
    main()
