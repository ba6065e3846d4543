"""Retrieval-quality evaluation: a labelled corpus, a harness, and its report.

- :func:`generate_eval_corpus` builds realistic completed episodes (the workload builder over
  wider entity pools and a few cross-domain decoy task kinds) and labelled queries:
  paraphrases of a task intent that never copy an episode's text (synonyms, abbreviations,
  reordering, typos), some made in another domain's context. An episode is relevant to a
  query when it has the same intent (grade 2 in the query's stack, 1 otherwise).
- :func:`evaluate_retrieval` imports the corpus into :class:`memory_core.SelfLearningMemory`
  and runs every query under each weight variant (:func:`signal_variants` gives the hybrid
  weights and each signal alone), measuring recall@1/5/10, MRR, nDCG@10 and latency.
- :func:`format_markdown` renders the report.

The metrics themselves are in :mod:`memory_test_utils.ranking_metrics`.
"""

from __future__ import annotations

from ._eval_corpus import EVAL_END as EVAL_END
from ._eval_corpus import EvalCorpus as EvalCorpus
from ._eval_corpus import LabelledQuery as LabelledQuery
from ._eval_corpus import generate_eval_corpus as generate_eval_corpus
from ._eval_corpus import intent_of as intent_of
from ._eval_harness import EvalReport as EvalReport
from ._eval_harness import QueryScore as QueryScore
from ._eval_harness import VariantResult as VariantResult
from ._eval_harness import evaluate_retrieval as evaluate_retrieval
from ._eval_harness import signal_variants as signal_variants
from ._eval_report import format_markdown as format_markdown

__all__ = [
    "EVAL_END",
    "EvalCorpus",
    "EvalReport",
    "LabelledQuery",
    "QueryScore",
    "VariantResult",
    "evaluate_retrieval",
    "format_markdown",
    "generate_eval_corpus",
    "intent_of",
    "signal_variants",
]
