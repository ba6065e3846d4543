"""Markdown tables of a retrieval-quality report."""

from __future__ import annotations

from ._eval_harness import EvalReport, VariantResult

__all__ = ["format_markdown"]

_CONTEXTS = ("full", "domain", "mismatch")


def _weights(variant: VariantResult) -> str:
    return " ".join(f"{name}={value:g}" for name, value in variant.weights.items() if value)


def _metrics_table(report: EvalReport) -> list[str]:
    lines = [
        "| variant | weights | R@1 | R@5 | R@10 | MRR | nDCG@10 | p50 ms | p95 ms | p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for v in report.variants:
        lines.append(
            f"| {v.name} | {_weights(v)} | {v.recall_at_1:.3f} | {v.recall_at_5:.3f} "
            f"| {v.recall_at_10:.3f} | {v.mrr:.3f} | {v.ndcg_at_10:.3f} "
            f"| {v.latency_p50_ms:.2f} | {v.latency_p95_ms:.2f} | {v.latency_p99_ms:.2f} |"
        )
    ceiling = report.recall_ceiling
    lines.append(
        f"| *perfect ranking* | | {ceiling['1']:.3f} | {ceiling['5']:.3f} | {ceiling['10']:.3f} "
        "| 1.000 | 1.000 | | | |"
    )
    return lines


def _by_context_table(report: EvalReport) -> list[str]:
    counts = {
        kind: sum(1 for q in report.variants[0].per_query if q.context == kind)
        for kind in _CONTEXTS
    }
    header = " | ".join(f"R@5 / MRR, {kind} ({counts[kind]})" for kind in _CONTEXTS)
    lines = [f"| variant | {header} |", "|---|" + "---:|" * len(_CONTEXTS)]
    for v in report.variants:
        cells = []
        for kind in _CONTEXTS:
            chosen = [q for q in v.per_query if q.context == kind]
            if not chosen:
                cells.append("-")
                continue
            recall = sum(q.recall_at_5 for q in chosen) / len(chosen)
            mrr = sum(q.reciprocal_rank for q in chosen) / len(chosen)
            cells.append(f"{recall:.3f} / {mrr:.3f}")
        lines.append(f"| {v.name} | " + " | ".join(cells) + " |")
    return lines


def format_markdown(report: EvalReport) -> str:
    """The report as markdown: metrics per variant, then R@5 and MRR by query context.

    Query contexts: ``full`` (the intent's domain and a stack of it), ``domain`` (the
    domain only), ``mismatch`` (another domain's stack).
    """
    lines = [
        f"{report.episodes} episodes, {report.queries} queries "
        f"(mean {report.mean_relevant:.1f} relevant episodes each), seed {report.seed}, "
        f"limit {report.limit}",
        "",
        *_metrics_table(report),
    ]
    if report.variants and report.variants[0].per_query:
        lines.extend(["", *_by_context_table(report)])
    return "\n".join(lines) + "\n"
