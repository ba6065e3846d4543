"""Pattern tools: what was mined (analyze), what to apply now (recommend), rules, feedback.

- ``analyze_patterns`` reports the patterns mined across a namespace's episodes
  that apply to a context (domain, language, framework, tags), optionally of one
  kind, strongest first: by success rate, then support (episodes showing it).
- ``recommend_patterns`` ranks patterns for a concrete task with the memory's
  pattern retrieval (context match, relevance to the description, quality and
  recorded effectiveness) and explains each score.
"""

from mcp_types import ToolAnnotations

from memory_core import Pattern

from ..namespaces import MemoryPool
from ._arguments import (
    Complexity,
    Description,
    Limit,
    Namespace,
    PatternId,
    PatternType,
    Rate,
    ShortName,
    StrictFlag,
    Tags,
    task_context,
)
from ._errors import tool_errors
from ._registry import ToolSet
from ._results import (
    AnalyzePatternsResult,
    FeedbackResult,
    HeuristicsResult,
    RecommendPatternsResult,
    heuristic_record,
    pattern_support,
    pattern_view,
    recommendation,
    record,
)
from ._results import pattern_type as kind_of

__all__ = ["matches_context", "register_pattern_tools"]

_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)


def matches_context(
    pattern: Pattern,
    *,
    domain: str | None,
    language: str | None,
    framework: str | None,
    tags: list[str],
) -> bool:
    """Whether a pattern's context agrees with every given feature (case-insensitive)."""
    context = pattern.context
    wanted = (
        (domain, context.domain),
        (language, context.language),
        (framework, context.framework),
    )
    for given, actual in wanted:
        if given is not None and (actual or "").lower() != given.lower():
            return False
    have = {tag.lower() for tag in context.tags}
    return all(tag.lower() in have for tag in tags)


def register_pattern_tools(tools: ToolSet, pool: MemoryPool) -> None:
    """Add the pattern and heuristic tools to ``tools``, serving memories from ``pool``."""

    @tools.add(_READ_ONLY)
    async def analyze_patterns(
        domain: ShortName | None = None,
        language: ShortName | None = None,
        framework: ShortName | None = None,
        tags: Tags | None = None,
        pattern_type: PatternType | None = None,
        min_success_rate: Rate = 0.0,
        limit: Limit = 20,
        namespace: Namespace = None,
    ) -> AnalyzePatternsResult:
        """Patterns mined across past episodes that apply to a context, strongest first.

        Kinds: tool_sequence (frequent tool runs), decision_point (check → chosen action),
        error_recovery (normalized error → steps that fixed it), context_pattern (context →
        approach that succeeded). Filters: domain, language, framework, tags (all must match),
        pattern_type, min_success_rate. Sorted by success rate, then support.
        """
        with tool_errors():
            async with pool.lease(namespace) as memory:
                patterns = await memory.list_patterns()
            selected = [
                p
                for p in patterns
                if (pattern_type is None or kind_of(p) == pattern_type)
                and matches_context(
                    p, domain=domain, language=language, framework=framework, tags=tags or []
                )
                and pattern_support(p)[1] >= min_success_rate
            ]
            by_type: dict[str, int] = {}
            views = [pattern_view(p) for p in selected]
            for view in views:
                by_type[view.type] = by_type.get(view.type, 0) + 1
            views.sort(key=lambda v: (-v.success_rate, -v.support, v.pattern_id))
            return AnalyzePatternsResult(
                patterns=views[:limit], matching=len(views), by_type=by_type
            )

    @tools.add(_READ_ONLY)
    async def recommend_patterns(
        task_description: Description,
        domain: ShortName | None = None,
        language: ShortName | None = None,
        framework: ShortName | None = None,
        complexity: Complexity = "moderate",
        tags: Tags | None = None,
        limit: Limit = 5,
        namespace: Namespace = None,
    ) -> RecommendPatternsResult:
        """Patterns worth applying to a task, best first, each with its score breakdown.

        Ranks by context match, relevance to the description, pattern quality and
        recorded effectiveness; report back with record_pattern_feedback.
        """
        with tool_errors():
            context = task_context(domain, language, framework, tags, complexity)
            async with pool.lease(namespace) as memory:
                matches = await memory.retrieve_relevant_patterns(task_description, context, limit)
            return RecommendPatternsResult(recommendations=[recommendation(m) for m in matches])

    @tools.add(_READ_ONLY)
    async def get_heuristics(
        domain: ShortName | None = None,
        language: ShortName | None = None,
        framework: ShortName | None = None,
        tags: Tags | None = None,
        limit: Limit = 10,
        namespace: Namespace = None,
    ) -> HeuristicsResult:
        """Condition → action rules learned from evidence that apply to a context.

        Confidence is a Wilson lower bound in [0, 1]; most trustworthy first.
        """
        with tool_errors():
            context = task_context(domain, language, framework, tags)
            async with pool.lease(namespace) as memory:
                heuristics = await memory.retrieve_heuristics(context, limit)
            return HeuristicsResult(heuristics=[heuristic_record(h) for h in heuristics])

    @tools.add(_WRITE)
    async def record_pattern_feedback(
        pattern_id: PatternId, helped: StrictFlag, namespace: Namespace = None
    ) -> FeedbackResult:
        """Record that a recommended pattern was applied and whether it helped."""
        with tool_errors():
            async with pool.lease(namespace) as memory:
                pattern = await memory.record_pattern_feedback(pattern_id, helped)
            return FeedbackResult(
                pattern_id=str(pattern.id), effectiveness=record(pattern.effectiveness)
            )
