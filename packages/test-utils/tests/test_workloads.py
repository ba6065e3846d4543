"""Synthetic workloads: determinism, validity, streaming and exact ground truth."""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_core.models import Episode
from memory_test_utils.assertions import assert_episode_valid
from memory_test_utils.vocabulary import domain_names, error_class_of
from memory_test_utils.workloads import Workload, generate_episodes, generate_workload

N = 3000


@pytest.fixture(scope="module")
def workload() -> Workload:
    return generate_workload(N, seed=11)


def encode_all(episodes: Sequence[Episode]) -> bytes:
    return msgspec.msgpack.encode(list(episodes))


def test_same_seed_same_bytes() -> None:
    first = encode_all(list(generate_episodes(300, seed=5)))
    assert first == encode_all(list(generate_episodes(300, seed=5)))


def test_different_seeds_differ() -> None:
    a = list(generate_episodes(50, seed=1))
    b = list(generate_episodes(50, seed=2))
    assert encode_all(a) != encode_all(b)
    assert not {e.id for e in a} & {e.id for e in b}


def test_prefix_does_not_depend_on_n() -> None:
    short = list(generate_episodes(10, seed=3))
    long = list(generate_episodes(200, seed=3))
    assert encode_all(short) == encode_all(long[:10])


def test_workload_holds_the_streamed_episodes() -> None:
    workload = generate_workload(200, seed=8)
    assert encode_all(workload.episodes) == encode_all(list(generate_episodes(200, seed=8)))


def test_output_does_not_depend_on_hash_seed() -> None:
    code = (
        "import hashlib, msgspec\n"
        "from memory_test_utils.workloads import generate_episodes\n"
        "data = msgspec.msgpack.encode(list(generate_episodes(200, seed=4)))\n"
        "print(hashlib.sha256(data).hexdigest())\n"
    )
    expected = hashlib.sha256(encode_all(list(generate_episodes(200, seed=4)))).hexdigest()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == expected


def test_streams_without_building_a_list() -> None:
    started = time.perf_counter()
    stream = generate_episodes(10**9, seed=0)
    assert isinstance(stream, Iterator)
    head = list(itertools.islice(stream, 5))
    assert len(head) == 5
    assert time.perf_counter() - started < 5


def test_streaming_memory_stays_flat() -> None:
    stream = generate_episodes(4000, seed=0)
    next(stream)  # vocabulary tables are built on first use
    tracemalloc.start()
    try:
        for _ in stream:
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # 4000 kept episodes would take well over 10 MB


def test_arguments_are_checked_at_the_call() -> None:
    with pytest.raises(ValueError, match="n must be"):
        generate_episodes(-1)
    with pytest.raises(ValueError, match="motif_rate"):
        generate_episodes(1, motif_rate=1.5)
    with pytest.raises(ValueError, match="unknown domain"):
        generate_episodes(1, domains=["astrology"])
    with pytest.raises(TypeError, match="sequence of domain names"):
        generate_episodes(1, domains="web")
    with pytest.raises(ValueError, match="agents"):
        generate_workload(1, agents=0)
    with pytest.raises(ValueError, match="UTC"):
        generate_workload(1, start=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="motifs name domains"):
        generate_workload(1, domains=["web"], motifs={"ml": [("a", "b")]})
    assert list(generate_episodes(0)) == []


def test_every_episode_is_valid(workload: Workload) -> None:
    for episode in workload.episodes:
        assert_episode_valid(episode, completed=True)
        assert episode.metadata["agent"].startswith("agent-")
        assert episode.metadata["task_kind"].startswith(episode.context.domain + ".")
        assert episode.id.version == 4


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**64))
def test_episodes_are_valid_for_any_seed(seed: int) -> None:
    for episode in generate_episodes(40, seed=seed):
        assert_episode_valid(episode, completed=True)


def test_memory_core_validation_accepts_workloads(workload: Workload) -> None:
    validation = pytest.importorskip("memory_core.validation")
    config = pytest.importorskip("memory_core.config")
    limits = config.Limits()
    for episode in workload.episodes[:500]:
        assert validation.validate_episode(episode, limits) == episode


def test_round_trips(workload: Workload) -> None:
    for module in (msgspec.msgpack, msgspec.json):
        data = module.encode(workload.episodes[:200])
        assert module.decode(data, type=list[Episode]) == workload.episodes[:200]


def test_workload_is_realistic(workload: Workload) -> None:
    episodes = workload.episodes
    assert set(workload.domains) == set(domain_names())
    assert all(count > 0 for count in workload.domains.values())
    assert all(count > 0 for count in workload.statuses.values())
    assert workload.statuses["success"] > N / 2
    assert len(workload.agents) >= 40
    assert len({e.task_description for e in episodes}) > 300
    assert len({e.context.language for e in episodes}) >= 10
    assert any(not step.success for e in episodes for step in e.steps)
    assert sum(len(e.steps) for e in episodes) / N > 6
    started = [e.started_at for e in episodes]
    assert started[0] >= datetime(2025, 1, 1, tzinfo=UTC)
    assert max(started) > min(started)


def contains_run(tools: Sequence[str], motif: tuple[str, ...]) -> bool:
    size = len(motif)
    return any(tuple(tools[i : i + size]) == motif for i in range(len(tools) - size + 1))


def contains_subsequence(tools: Sequence[str], motif: tuple[str, ...]) -> bool:
    position = 0
    for tool in tools:
        if position < len(motif) and tool == motif[position]:
            position += 1
    return position == len(motif)


def test_planted_sequences_match_a_recount(workload: Workload) -> None:
    assert workload.planted_sequences
    for motif, count in workload.planted_sequences.items():
        runs = [e for e in workload.episodes if contains_run([s.tool for s in e.steps], motif)]
        assert count == len(runs), motif
        gapped = sum(
            contains_subsequence([s.tool for s in e.steps], motif) for e in workload.episodes
        )
        assert workload.planted_subsequences[motif] == gapped, motif
        successes = sum(e.outcome is not None and e.outcome.status == "success" for e in runs)
        assert workload.sequence_successes[motif] == successes
    # Planted motifs really are frequent, and noise inside some of them really is there.
    assert min(workload.planted_sequences.values()) >= N * 0.004
    assert sum(workload.planted_subsequences.values()) > sum(workload.planted_sequences.values())


def test_planted_errors_and_recoveries_match_a_recount(workload: Workload) -> None:
    errors: Counter[str] = Counter()
    recovered: Counter[str] = Counter()
    for episode in workload.episodes:
        steps = episode.steps
        seen, fixed = set(), set()
        for i, step in enumerate(steps):
            if step.success:
                continue
            assert step.error is not None
            error_class = error_class_of(step.error)
            assert error_class is not None, step.error
            seen.add(error_class)
            if i + 1 < len(steps) and steps[i + 1].success:
                fixed.add(error_class)
                recovery = workload.recovery_steps[error_class]
                following = tuple(s.tool for s in steps[i + 1 : i + 2 + len(recovery)])
                assert following == (*recovery, step.tool)  # recovery, then a retry
                assert steps[i + 1 + len(recovery)].success
        errors.update(seen)
        recovered.update(fixed)
    assert {k: v for k, v in workload.planted_errors.items() if v} == dict(errors)
    assert {k: v for k, v in workload.planted_recoveries.items() if v} == dict(recovered)
    assert len(recovered) >= 20


def test_failures_end_on_an_unrecovered_error(workload: Workload) -> None:
    for episode in workload.episodes:
        assert episode.outcome is not None
        if episode.outcome.status == "failure":
            assert not episode.steps[-1].success
            assert episode.outcome.error == episode.steps[-1].error
        else:
            assert not episode.steps or episode.steps[-1].success


def test_planted_decisions_match_a_recount(workload: Workload) -> None:
    conditions = {condition for condition, _ in workload.planted_decisions}
    counts: Counter[tuple[str, str]] = Counter()
    for episode in workload.episodes:
        steps = episode.steps
        counts.update(
            {
                (steps[i].action, steps[i + 1].action)
                for i in range(len(steps) - 1)
                if steps[i].action in conditions
            }
        )
    for pair, count in workload.planted_decisions.items():
        assert counts[pair] == count, pair
    assert ("check if tests pass", "commit changes") in workload.planted_decisions


def test_counts_per_value_match(workload: Workload) -> None:
    episodes = workload.episodes
    assert workload.task_kinds == {
        kind: sum(e.metadata["task_kind"] == kind for e in episodes) for kind in workload.task_kinds
    }
    assert sum(workload.task_kinds.values()) == N
    assert Counter(e.context.domain for e in episodes) == Counter(workload.domains)
    assert Counter(e.outcome.status for e in episodes if e.outcome) == Counter(workload.statuses)
    assert Counter(e.metadata["agent"] for e in episodes) == Counter(workload.agents)


def test_options_shape_the_workload() -> None:
    motif = ("alpha-tool", "beta-tool", "gamma-tool")
    workload = generate_workload(
        400, seed=2, domains=["ml"], motifs={"ml": [motif]}, motif_rate=1.0, noise_rate=0.0
    )
    assert set(workload.domains) == {"ml"}
    assert list(workload.planted_sequences) == [motif]
    non_abstained = sum(
        e.outcome is not None and e.outcome.status != "abstained" for e in workload.episodes
    )
    assert workload.planted_sequences[motif] == non_abstained
    quiet = generate_workload(300, seed=2, error_rate=0.0, decision_rate=0.0, motif_rate=0.0)
    for episode in quiet.episodes:
        failed = [s for s in episode.steps if not s.success]
        assert len(failed) == (episode.outcome is not None and episode.outcome.status == "failure")


def test_errors_merge_under_memory_core_normalizer(workload: Workload) -> None:
    text = pytest.importorskip("memory_core.text")
    classes: dict[str, set[str]] = {}
    for episode in workload.episodes:
        for step in episode.steps:
            if step.error is not None:
                key = error_class_of(step.error)
                assert key is not None
                classes.setdefault(key, set()).add(text.normalize_error(step.error))
    assert all(len(normalized) == 1 for normalized in classes.values()), classes
    distinct = [next(iter(normalized)) for normalized in classes.values()]
    assert len(set(distinct)) == len(distinct)
