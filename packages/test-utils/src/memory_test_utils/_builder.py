"""The hot loop of synthetic workloads: one seeded builder turns an index into an Episode.

The vocabulary is resolved once into small slot classes and tuples, and each episode costs
a few dozen draws from one :class:`random.Random`; no per-episode seeding, no set iteration,
no ``hash()``-dependent order, so the output is a pure function of the seed and the options.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from memory_core.models import Complexity, Episode, ExecutionStep, TaskContext, TaskOutcome

from ._options import Options
from ._rendering import LOGNORMAL, ErrorRenderer, observation_pools
from ._vocabulary_types import Domain, Stack, TaskKind
from .vocabulary import DECISIONS, ERRORS, TOOLS

__all__ = ["EpisodeBuilder"]

_FAIL_OBSERVATIONS = ("exit code 1", "exit code 2", "process exited with status 1", "failed")
_ABSTAIN_REASONS = (
    "Abstained: the task needs production credentials the agent does not have",
    "Abstained: requirements are ambiguous; asked the user for clarification",
    "Abstained: change would touch a repository outside the allowed scope",
    "Abstained: a human review is required before changing this component",
)
# (upper bound of u, status) for episodes with and without a planted motif.
_STATUS_WITH_MOTIF = ((0.84, "success"), (0.92, "partial"), (0.97, "failure"), (1.0, "abstained"))
_STATUS_WITHOUT = ((0.64, "success"), (0.78, "partial"), (0.93, "failure"), (1.0, "abstained"))
_NOISE_STEPS = {"simple": (2, 3), "moderate": (4, 5), "complex": (7, 7)}  # (minimum, spread)

# A planned step: tool, action, error message, latency override, error class, observation.
_Planned = tuple["_Tool", str, str | None, int | None, str | None, str | None]


class _Tool:
    """A tool resolved for the hot loop: observations are pre-rendered per action."""

    __slots__ = ("actions", "default", "latency", "name", "observations", "tokens")

    def __init__(self, name: str) -> None:
        spec = TOOLS.get(name)
        self.name = name
        if spec is None:  # a tool only named by a caller's motif
            self.actions: tuple[str, ...] = (f"run {name}",)
            pools: tuple[tuple[str, ...], ...] = (("ok",) * 4,)
            self.latency = 500
            self.tokens = 300
        else:
            self.actions = spec.actions
            pools = observation_pools(name, spec.observations)
            self.latency = spec.latency_ms
            self.tokens = spec.tokens
        # The i-th action reports like the (i mod k)-th observation template.
        self.observations = {a: pools[i % len(pools)] for i, a in enumerate(self.actions)}
        self.default = pools[0]


class _Error:
    __slots__ = ("action", "error_class", "recovery", "renderer", "tools")

    def __init__(self, name: str, stack_tools: tuple[str, ...], tool: dict[str, _Tool]) -> None:
        kind = ERRORS[name]
        self.renderer = ErrorRenderer(kind)
        self.error_class = self.renderer.error_class
        self.action = kind.action
        self.tools = tuple(tool[t] for t in kind.tools if t in stack_tools)
        self.recovery = tuple((tool[t], action) for t, action in kind.recovery)


class _Stack:
    __slots__ = (
        "artifacts",
        "decisions",
        "editor",
        "errors",
        "framework",
        "language",
        "motifs",
        "tools",
    )

    def __init__(self, domain: Domain, stack: Stack, options: Options, tool: dict[str, _Tool]):
        self.language = stack.language
        self.framework = stack.framework
        # The editor is listed twice: agents read and edit far more often than anything else.
        self.tools = tuple(tool[t] for t in (*stack.tools, "editor"))
        self.editor = tool["editor"]
        self.motifs = tuple(
            tuple(tool[t] for t in motif) for motif in options.stack_motifs(domain, stack)
        )
        errors = (_Error(name, stack.tools, tool) for name in stack.errors)
        self.errors = tuple(error for error in errors if error.tools)
        self.decisions = tuple(
            (
                tool[d.tool],
                d.condition,
                (tool[d.if_yes[0]], d.if_yes[1]),
                (tool[d.if_no[0]], d.if_no[1]),
                d.p_yes,
            )
            for d in (DECISIONS[name] for name in stack.decisions)
        )
        self.artifacts = stack.artifacts


class _Domain:
    __slots__ = ("kinds", "name", "stacks", "subgoals")

    def __init__(self, domain: Domain, options: Options, tool: dict[str, _Tool]) -> None:
        self.name = domain.name
        self.stacks = tuple(_Stack(domain, stack, options, tool) for stack in domain.stacks)
        self.kinds: tuple[TaskKind, ...] = domain.kinds
        self.subgoals = domain.subgoals


class _Tools(dict[str, _Tool]):
    def __missing__(self, name: str) -> _Tool:
        self[name] = value = _Tool(name)
        return value


class EpisodeBuilder:
    """Builds the episodes of one workload in index order from one seeded generator."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self._rng = random.Random(options.seed)
        tools = _Tools()
        self.domains = tuple(_Domain(domain, options, tools) for domain in options.domains)
        self._agent_names = tuple(f"agent-{a:03d}" for a in range(options.agents))
        self._artifacts: dict[tuple[int, str], tuple[str, ...]] = {}

    def _artifacts_for(self, stack: _Stack, entity: str) -> tuple[str, ...]:
        key = (id(stack), entity)
        found = self._artifacts.get(key)
        if found is None:
            slug = entity.replace(" ", "_")
            found = tuple(a.format(entity=slug) for a in stack.artifacts)
            self._artifacts[key] = found
        return found

    def build(self, index: int) -> tuple[Episode, list[tuple[int, str]]]:
        """The next episode (``index`` is recorded, not used to seek) and its failed steps.

        The second item lists ``(step index, error class)`` of every failed step.
        """
        opts = self.options
        rng = self._rng
        r = rng.random
        domains = self.domains
        agent = int(opts.agents * r() * r())
        # Agents mostly work in their home domain.
        home = r() < 0.7
        dom = domains[agent % len(domains)] if home else domains[int(r() * len(domains))]
        stack = dom.stacks[int(r() * len(dom.stacks))]
        kind = dom.kinds[int(r() * len(dom.kinds))]
        entity = kind.entities[int(r() * len(kind.entities))]
        description = kind.paraphrases[int(r() * len(kind.paraphrases))].format(entity=entity)
        u = r()
        complexity: Complexity = "simple" if u < 0.25 else ("moderate" if u < 0.8 else "complex")
        has_motif = bool(stack.motifs) and r() < opts.motif_rate
        u = r()
        status = "abstained"
        for bound, name in _STATUS_WITH_MOTIF if has_motif else _STATUS_WITHOUT:
            if u < bound:
                status = name
                break
        tools = stack.tools
        plan: list[list[_Planned]] = []
        if status == "abstained":
            has_motif = False
            n_noise = 1 + int(r() * 3)
        else:
            low, spread = _NOISE_STEPS[complexity]
            n_noise = low + int(r() * spread)
        for _ in range(n_noise):
            t = tools[int(r() * len(tools))]
            plan.append([(t, t.actions[int(r() * len(t.actions))], None, None, None, None)])
        if has_motif:
            motif = stack.motifs[int(r() * len(stack.motifs))]
            segment: list[_Planned] = [
                (t, t.actions[int(r() * len(t.actions))], None, None, None, None) for t in motif
            ]
            if len(motif) > 1 and r() < opts.noise_rate:
                t = tools[int(r() * len(tools))]
                noise = (t, t.actions[int(r() * len(t.actions))], None, None, None, None)
                segment.insert(1 + int(r() * (len(motif) - 1)), noise)
            plan.insert(int(r() * (len(plan) + 1)), segment)
        if status != "abstained" and stack.errors and r() < opts.error_rate:
            error, failed = self._failure(stack)
            segment = [failed]
            segment.extend((t, action, None, None, None, None) for t, action in error.recovery)
            segment.append((failed[0], failed[1], None, None, None, None))  # the retry succeeds
            plan.insert(int(r() * (len(plan) + 1)), segment)
        if status != "abstained" and stack.decisions and r() < opts.decision_rate:
            tool, condition, yes, no, p_yes = stack.decisions[int(r() * len(stack.decisions))]
            if r() < p_yes:
                check = (tool, condition, None, None, None, "yes: " + tool.default[0])
                branch = yes
            else:
                check = (tool, condition, None, None, None, "no: condition not met")
                branch = no
            plan.append([check, (*branch, None, None, None, None)])
        if status == "failure":  # ends on an error nothing recovered from
            plan.append([self._failure(stack)[1]])
        if r() < 0.5:  # agents often start by reading the code they are about to change
            plan.insert(0, [(stack.editor, "read file", None, None, None, None)])
        return self._assemble(
            index, agent, dom, stack, kind, entity, description, complexity, status, plan
        )

    def _failure(self, stack: _Stack) -> tuple[_Error, _Planned]:
        r = self._rng.random
        error = stack.errors[int(r() * len(stack.errors))]
        tool = error.tools[int(r() * len(error.tools))]
        action = error.action or tool.actions[int(r() * len(tool.actions))]
        message, timeout = error.renderer.render(self._rng)
        return error, (tool, action, message, timeout, error.error_class, None)

    def _assemble(
        self,
        index: int,
        agent: int,
        dom: _Domain,
        stack: _Stack,
        kind: TaskKind,
        entity: str,
        description: str,
        complexity: Complexity,
        status: str,
        plan: list[list[_Planned]],
    ) -> tuple[Episode, list[tuple[int, str]]]:
        opts = self.options
        rng = self._rng
        r = rng.random
        bits = rng.getrandbits
        lognormal = LOGNORMAL
        editor = stack.editor
        artifacts = self._artifacts_for(stack, entity)
        episode_id = uuid.UUID(int=bits(128), version=4)
        started_at = opts.start + timedelta(
            milliseconds=index * opts.interval_ms + int(r() * opts.interval_ms * 0.8)
        )
        steps: list[ExecutionStep] = []
        failures: list[tuple[int, str]] = []
        elapsed = 0
        number = 0
        for segment in plan:
            for tool, action, error, latency, error_class, observation in segment:
                number += 1
                tokens = int(tool.tokens * lognormal[bits(10)])
                if latency is None:
                    latency = 1 + int(tool.latency * lognormal[bits(10)])
                if error is not None:
                    observation = _FAIL_OBSERVATIONS[bits(2)]
                    failures.append((number - 1, error_class or ""))
                elif observation is None:
                    observation = tool.observations.get(action, tool.default)[bits(2)]
                parameters = None
                if tool is editor and artifacts:
                    parameters = {"path": artifacts[int(r() * len(artifacts))]}
                steps.append(
                    ExecutionStep(
                        tool=tool.name,
                        action=action,
                        latency_ms=latency,
                        tokens=tokens,
                        success=error is None,
                        observation=observation,
                        parameters=parameters,
                        error=error,
                        timestamp=started_at + timedelta(milliseconds=elapsed),
                        step_number=number,
                    )
                )
                elapsed += latency + 250 + (tokens >> 1)
        elapsed += int(r() * 2000)
        outcome = self._outcome(dom, kind, status, artifacts, steps, elapsed)
        metadata: dict[str, Any] = {
            "agent": self._agent_names[agent],
            "task_kind": kind.name,
            "source": "synthetic",
            "seed": opts.seed,
            "index": index,
        }
        episode = Episode(
            id=episode_id,
            task_description=description,
            task_type=kind.task_type,
            context=TaskContext(
                language=stack.language,
                domain=dom.name,
                tags=kind.tags,
                framework=stack.framework,
                complexity=complexity,
            ),
            steps=tuple(steps),
            outcome=outcome,
            tags=(dom.name, kind.name.partition(".")[2]),
            metadata=metadata,
            started_at=started_at,
            completed_at=started_at + timedelta(milliseconds=elapsed),
        )
        return episode, failures

    def _outcome(
        self,
        dom: _Domain,
        kind: TaskKind,
        status: str,
        artifacts: tuple[str, ...],
        steps: list[ExecutionStep],
        elapsed: int,
    ) -> TaskOutcome:
        r = self._rng.random
        if status == "success":
            count = 1 + int(r() * len(artifacts)) if artifacts else 0
            return TaskOutcome(
                success=True, result=kind.done, duration_ms=elapsed, artifacts=artifacts[:count]
            )
        if status == "partial":
            goals = dom.subgoals
            split = 1 + int(r() * (len(goals) - 1))
            return TaskOutcome(
                success=False,
                result="Partially done: " + ", ".join(goals[:split]),
                duration_ms=elapsed,
                status="partial",
                artifacts=artifacts[:1],
                completed=goals[:split],
                failed=goals[split:],
            )
        if status == "failure":
            error = steps[-1].error
            return TaskOutcome(
                success=False, result=None, error=error, duration_ms=elapsed, status="failure"
            )
        reason = _ABSTAIN_REASONS[int(r() * len(_ABSTAIN_REASONS))]
        return TaskOutcome(success=False, result=reason, duration_ms=elapsed, status="abstained")
