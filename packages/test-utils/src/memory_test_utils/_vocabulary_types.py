"""The shapes of the synthetic vocabulary (tools, errors, decisions, tasks, stacks, domains).

The data itself lives in ``_tools``, ``_errors`` and ``_domains``; :mod:`.vocabulary`
is the public face. Everything here is static configuration: frozen Structs of tuples,
iterated in declaration order so generation never depends on hash seeds.
"""

from __future__ import annotations

import re

import msgspec

__all__ = ["Decision", "Domain", "ErrorKind", "Stack", "TaskKind", "ToolSpec"]

#: Placeholder name -> the token it stands for in a normalized error class.
_PLACEHOLDER_CLASS = {
    "n": "<num>",
    "m": "<num>",
    "code": "<num>",
    "line": "<num>",
    "col": "<num>",
    "port": "<num>",
    "ms": "<num>",
    "ip": "<ip>",
    "hex": "<hex>",
    "hex12": "<hex>",
    "hex40": "<hex>",
    "uuid": "<id>",
}
#: Placeholder name -> regular expression matching every value it renders to.
_PLACEHOLDER_REGEX = {
    "<num>": r"\d+",
    "<ip>": r"\d{1,3}(?:\.\d{1,3}){3}",
    "<hex>": r"[0-9a-f]+",
    "<id>": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "<path>": r"\S+?",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholder_class(name: str) -> str:
    """The normalized token (``<num>``, ``<path>``, ...) a template placeholder stands for."""
    if name.endswith("_path"):
        return "<path>"
    try:
        return _PLACEHOLDER_CLASS[name]
    except KeyError:
        raise ValueError(f"unknown error template placeholder {{{name}}}") from None


class ToolSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A tool an agent calls: what it is used for and how long and how many tokens it takes.

    ``observations`` may hold ``{n}``, ``{m}`` (integers) and ``{s}`` (seconds) placeholders.
    ``latency_ms`` and ``tokens`` are medians; generated values are log-normal around them.
    """

    name: str
    latency_ms: int
    tokens: int
    actions: tuple[str, ...]
    observations: tuple[str, ...]


class ErrorKind(msgspec.Struct, frozen=True, kw_only=True):
    """A class of errors a tool fails with, and the steps that recover from it.

    ``template`` holds placeholders (``{n}``, ``{port}``, ``{ip}``, ``{hex}``, ``{uuid}``,
    ``{py_path}``...) that render to numbers, addresses, ids, hex strings and paths, the parts
    an error normalizer strips. Two messages of one kind differ only in those parts.
    ``action`` is the failing step's action when it matters (else one of the tool's actions).
    """

    name: str
    template: str
    tools: tuple[str, ...]
    recovery: tuple[tuple[str, str], ...]
    action: str | None = None

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Placeholder names in the template, in order of appearance."""
        return tuple(_PLACEHOLDER.findall(self.template))

    @property
    def error_class(self) -> str:
        """The normalized class: the template with each placeholder replaced by its token."""
        return _PLACEHOLDER.sub(lambda m: placeholder_class(m.group(1)), self.template)

    @property
    def recovery_tools(self) -> tuple[str, ...]:
        """The tools of the recovery steps, in order (the retried tool not included)."""
        return tuple(tool for tool, _ in self.recovery)

    def regex(self) -> re.Pattern[str]:
        """A regular expression that fully matches every message rendered from this kind."""
        parts: list[str] = []
        pos = 0
        for match in _PLACEHOLDER.finditer(self.template):
            parts.append(re.escape(self.template[pos : match.start()]))
            parts.append(_PLACEHOLDER_REGEX[placeholder_class(match.group(1))])
            pos = match.end()
        parts.append(re.escape(self.template[pos:]))
        return re.compile("".join(parts))


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """A check or decision step and the action taken next on each branch."""

    name: str
    tool: str
    condition: str
    if_yes: tuple[str, str]
    if_no: tuple[str, str]
    p_yes: float = 0.75


class TaskKind(msgspec.Struct, frozen=True, kw_only=True):
    """A family of tasks described by paraphrased templates over a set of entities.

    Every paraphrase holds ``{entity}``; episodes of one kind are what retrieval should
    bring back for a query phrased like any of them.
    """

    name: str
    task_type: str
    paraphrases: tuple[str, ...]
    entities: tuple[str, ...]
    tags: tuple[str, ...]
    done: str


class Stack(msgspec.Struct, frozen=True, kw_only=True):
    """A language/framework combination with its tools, planted motifs, errors and decisions."""

    language: str
    framework: str | None
    tools: tuple[str, ...]
    motifs: tuple[tuple[str, ...], ...]
    errors: tuple[str, ...]
    decisions: tuple[str, ...]
    artifacts: tuple[str, ...]


class Domain(msgspec.Struct, frozen=True, kw_only=True):
    """A field of work (web, data, devops...) with its stacks and kinds of task."""

    name: str
    stacks: tuple[Stack, ...]
    kinds: tuple[TaskKind, ...]
    subgoals: tuple[str, ...]
