"""The vocabulary is consistent: every name it uses resolves, every template renders."""

from __future__ import annotations

import random
import re

import pytest

from memory_test_utils._rendering import ErrorRenderer
from memory_test_utils.vocabulary import (
    DECISIONS,
    DOMAINS,
    ERRORS,
    TOOLS,
    Domain,
    Stack,
    domain_names,
    error_class_of,
    get_domain,
)

TAG = re.compile(r"[a-z0-9_-]{2,100}")
STACKS = [(domain, stack) for domain in DOMAINS for stack in domain.stacks]


def stack_id(item: tuple[Domain, Stack]) -> str:
    domain, stack = item
    return f"{domain.name}-{stack.language}-{stack.framework}"


@pytest.mark.parametrize("item", STACKS, ids=stack_id)
def test_stacks_resolve(item: tuple[Domain, Stack]) -> None:
    _, stack = item
    assert set(stack.tools) <= set(TOOLS)
    assert stack.motifs
    for motif in stack.motifs:
        assert len(motif) >= 2
        assert set(motif) <= set(stack.tools)
    for name in stack.errors:
        kind = ERRORS[name]
        assert set(kind.tools) & set(stack.tools), name
        assert {tool for tool, _ in kind.recovery} <= set(TOOLS)
    assert stack.decisions
    for name in stack.decisions:
        decision = DECISIONS[name]
        assert decision.tool in stack.tools
        assert {decision.if_yes[0], decision.if_no[0]} <= set(TOOLS)
    assert stack.artifacts


def test_domains_and_kinds() -> None:
    assert domain_names() == tuple(d.name for d in DOMAINS)
    assert len(set(domain_names())) == len(DOMAINS) >= 6
    assert get_domain("web").name == "web"
    with pytest.raises(KeyError, match="unknown domain"):
        get_domain("nope")
    names = [kind.name for domain in DOMAINS for kind in domain.kinds]
    assert len(names) == len(set(names))
    for domain in DOMAINS:
        assert len(domain.subgoals) >= 2
        for kind in domain.kinds:
            assert kind.name.startswith(domain.name + ".")
            assert len(kind.paraphrases) >= 2
            assert all("{entity}" in p for p in kind.paraphrases)
            assert all(TAG.fullmatch(tag) for tag in kind.tags)


def test_every_tool_is_used() -> None:
    used = {tool for _, stack in STACKS for tool in stack.tools}
    used |= {tool for kind in ERRORS.values() for tool, _ in kind.recovery}
    assert used == set(TOOLS)


def test_error_classes_are_distinct_and_recognized() -> None:
    classes = [kind.error_class for kind in ERRORS.values()]
    assert len(classes) == len(set(classes))
    rng = random.Random(0)
    for kind in ERRORS.values():
        renderer = ErrorRenderer(kind)
        for _ in range(50):
            message, timeout = renderer.render(rng)
            assert "{" not in message
            assert error_class_of(message) == kind.error_class, message
            if "ms" in kind.placeholders:
                assert timeout is not None
                assert timeout > 0
    assert error_class_of("something else entirely") is None
