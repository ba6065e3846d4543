"""Episode tools: the write lifecycle (start, log, complete) and reading back.

Every tool takes an optional ``namespace``; an id from another namespace is
"not found" there, because each namespace is a separate store.
"""

from mcp_types import ToolAnnotations

from memory_core import ExecutionStep, TaskOutcome

from ..namespaces import MemoryPool
from ._arguments import (
    Artifacts,
    Complexity,
    Description,
    DurationMs,
    EpisodeId,
    FreeText,
    Limit,
    Namespace,
    Offset,
    OutcomeStatus,
    Parameters,
    ShortName,
    StrictFlag,
    Tags,
    Tokens,
    task_context,
)
from ._errors import tool_errors
from ._registry import ToolSet
from ._results import (
    CompleteEpisodeResult,
    DeleteEpisodeResult,
    EpisodeResult,
    ListEpisodesResult,
    LogStepResult,
    QueryResult,
    StartEpisodeResult,
    hit,
    record,
    summarize,
)

__all__ = ["register_episode_tools"]

_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
_DELETE = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)


def register_episode_tools(tools: ToolSet, pool: MemoryPool) -> None:
    """Add the episode tools to ``tools``, serving memories from ``pool``."""

    @tools.add(_WRITE)
    async def start_episode(
        task_description: Description,
        domain: ShortName,
        language: ShortName | None = None,
        framework: ShortName | None = None,
        complexity: Complexity = "moderate",
        task_type: ShortName | None = None,
        tags: Tags | None = None,
        namespace: Namespace = None,
    ) -> StartEpisodeResult:
        """Start recording a task; returns the new episode's id for log_step/complete_episode.

        Tags (2-100 chars of a-z, 0-9, '_' or '-') describe both the task and its context.
        """
        with tool_errors():
            context = task_context(domain, language, framework, tags, complexity)
            async with pool.lease(namespace) as memory:
                episode = await memory.start_episode(
                    task_description, context, task_type=task_type, tags=tags or ()
                )
            return StartEpisodeResult(
                episode_id=str(episode.id),
                namespace=pool.resolve(namespace),
                started_at=episode.started_at.isoformat(),
            )

    @tools.add(_WRITE)
    async def log_step(
        episode_id: EpisodeId,
        tool: ShortName,
        action: Description,
        success: StrictFlag,
        latency_ms: DurationMs = 0,
        tokens: Tokens = 0,
        observation: FreeText = "",
        error: FreeText | None = None,
        parameters: Parameters | None = None,
        namespace: Namespace = None,
    ) -> LogStepResult:
        """Append one execution step (tool, action, outcome) to an in-progress episode."""
        with tool_errors():
            step = ExecutionStep(
                tool=tool,
                action=action,
                latency_ms=latency_ms,
                tokens=tokens,
                success=success,
                observation=observation,
                parameters=parameters,
                error=error,
            )
            async with pool.lease(namespace) as memory:
                number = await memory.log_step(episode_id, step)
            return LogStepResult(episode_id=episode_id.lower(), step_number=number)

    @tools.add(_WRITE)
    async def complete_episode(
        episode_id: EpisodeId,
        success: StrictFlag,
        result: FreeText | None = None,
        error: FreeText | None = None,
        duration_ms: DurationMs | None = None,
        status: OutcomeStatus | None = None,
        artifacts: Artifacts | None = None,
        namespace: Namespace = None,
    ) -> CompleteEpisodeResult:
        """Finish an episode with its outcome; returns its reward and reflection.

        Patterns and heuristics are then learned from it in the background.
        ``status`` refines ``success`` (success, partial, failure, abstained).
        """
        with tool_errors():
            outcome = TaskOutcome(
                success=success,
                result=result,
                error=error,
                duration_ms=duration_ms,
                status=status,
                artifacts=tuple(artifacts or ()),
            )
            async with pool.lease(namespace) as memory:
                episode = await memory.complete_episode(episode_id, outcome)
            reward = record(episode.reward) if episode.reward is not None else {}
            reflection = record(episode.reflection) if episode.reflection is not None else {}
            return CompleteEpisodeResult(
                episode_id=str(episode.id),
                status=summarize(episode).status,
                reward={key: float(value) for key, value in reward.items()},
                reflection={key: list(value) for key, value in reflection.items()},
                steps=len(episode.steps),
            )

    @tools.add(_READ_ONLY)
    async def query_memory(
        query: Description,
        domain: ShortName | None = None,
        language: ShortName | None = None,
        framework: ShortName | None = None,
        tags: Tags | None = None,
        limit: Limit = 5,
        namespace: Namespace = None,
    ) -> QueryResult:
        """Past episodes most relevant to a task, best first, each with its score breakdown.

        The score (0-1) fuses semantic, lexical, context, recency and reward signals;
        episodes from other domains rank lower but are not dropped.
        """
        with tool_errors():
            context = task_context(domain, language, framework, tags)
            async with pool.lease(namespace) as memory:
                retrieved = await memory.retrieve_relevant_context(query, context, limit)
            return QueryResult(results=[hit(item) for item in retrieved])

    @tools.add(_READ_ONLY)
    async def get_episode(episode_id: EpisodeId, namespace: Namespace = None) -> EpisodeResult:
        """The full record of one episode: steps, outcome, reward, reflection, patterns."""
        with tool_errors():
            async with pool.lease(namespace) as memory:
                episode = await memory.get_episode(episode_id)
            return EpisodeResult(episode=record(episode))

    @tools.add(_READ_ONLY)
    async def list_episodes(
        domain: ShortName | None = None,
        tags: Tags | None = None,
        outcome: OutcomeStatus | None = None,
        limit: Limit = 20,
        offset: Offset = 0,
        namespace: Namespace = None,
    ) -> ListEpisodesResult:
        """Episodes newest first, filtered by domain, tags (all must match) and outcome."""
        with tool_errors():
            async with pool.lease(namespace) as memory:
                episodes = await memory.list_episodes(
                    domain=domain, tags=tags or (), outcome=outcome, limit=limit, offset=offset
                )
            return ListEpisodesResult(
                episodes=[summarize(e) for e in episodes], count=len(episodes), offset=offset
            )

    @tools.add(_DELETE)
    async def delete_episode(
        episode_id: EpisodeId, namespace: Namespace = None
    ) -> DeleteEpisodeResult:
        """Delete an episode from the namespace's store and forget what was learned from it."""
        with tool_errors():
            async with pool.lease(namespace) as memory:
                await memory.delete_episode(episode_id)
            return DeleteEpisodeResult(episode_id=episode_id.lower(), deleted=True)
