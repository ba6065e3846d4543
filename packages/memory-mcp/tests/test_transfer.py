"""JSONL export/import (memory_mcp.transfer): lossless round trip, line-numbered errors,
nothing written on a bad file, duplicate rules, progress."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path

import msgspec
import pytest

from memory_core import Episode, Limits, MemoryConfig, SelfLearningMemory, TaskContext, TaskOutcome
from memory_core.codec import encode_json, encode_msgpack
from memory_core.errors import ValidationError
from memory_mcp.transfer import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    DuplicatePolicy,
    TransferError,
    TransferProgress,
    check_jsonl,
    export_jsonl,
    import_jsonl,
)
from memory_storage_turso import TursoStorage
from memory_test_utils.workloads import generate_episodes

pytestmark = pytest.mark.anyio

N_EPISODES = 300


@cache
def _workload() -> tuple[Episode, ...]:
    # Completed, but without reward and reflection: import_episodes computes them.
    return tuple(generate_episodes(N_EPISODES, seed=7))


@asynccontextmanager
async def _memory(
    path: Path | None = None, config: MemoryConfig | None = None
) -> AsyncIterator[SelfLearningMemory]:
    storage = TursoStorage(path) if path is not None else None
    async with SelfLearningMemory(config, storage=storage) as memory:
        yield memory


async def _records(memory: SelfLearningMemory) -> dict[object, bytes]:
    """Every stored episode's msgpack record, by id."""
    found: dict[object, bytes] = {}
    async for batch in memory.storage.iter_episodes(batch_size=100):
        found.update((episode.id, encode_msgpack(episode)) for episode in batch)
    return found


async def _export_bytes(memory: SelfLearningMemory) -> bytes:
    out = io.BytesIO()
    await export_jsonl(memory, out)
    return out.getvalue()


def _file(lines: list[bytes]) -> io.BytesIO:
    return io.BytesIO(b"".join(line + b"\n" for line in lines))


def _header() -> bytes:
    return json.dumps({"format": EXPORT_FORMAT, "version": EXPORT_VERSION}).encode()


async def test_export_then_import_into_fresh_store_is_byte_identical(tmp_path: Path) -> None:
    async with _memory(tmp_path / "source.db") as source:
        await source.import_episodes(_workload())
        exported = await _export_bytes(source)
        expected = await _records(source)
    async with _memory(tmp_path / "target.db") as target:
        report = await import_jsonl(target, io.BytesIO(exported))
        assert (report.episodes, report.imported, report.replaced, report.skipped) == (
            N_EPISODES,
            N_EPISODES,
            0,
            0,
        )
        assert await _records(target) == expected
        # And the new store exports the very same episode lines.
        assert (await _export_bytes(target)).splitlines()[1:] == exported.splitlines()[1:]
    assert len(expected) == N_EPISODES


async def test_export_format_is_a_header_then_one_episode_per_line() -> None:
    async with _memory() as memory:
        await memory.import_episodes(_workload()[:20])
        lines = (await _export_bytes(memory)).splitlines()
    header = json.loads(lines[0])
    assert header["format"] == EXPORT_FORMAT
    assert header["version"] == EXPORT_VERSION
    assert header["record_schema_version"] == 1
    assert len(lines) == 21
    ids = {json.loads(line)["id"] for line in lines[1:]}
    assert ids == {str(episode.id) for episode in _workload()[:20]}


async def test_export_leaves_out_in_progress_episodes_and_counts_them() -> None:
    async with _memory() as memory:
        await memory.import_episodes(_workload()[:5])
        running = await memory.start_episode("still running", TaskContext(domain="web"))
        out = io.BytesIO()
        report = await export_jsonl(memory, out)
    assert (report.episodes, report.in_progress_skipped) == (5, 1)
    assert str(running.id).encode() not in out.getvalue()


async def _exported_lines() -> list[bytes]:
    async with _memory() as memory:
        await memory.import_episodes(_workload()[:60])
        return (await _export_bytes(memory)).splitlines()


@pytest.mark.parametrize(
    ("line_number", "replacement", "expected"),
    [
        (57, b'{"id": "not json', "cannot decode episode"),
        (12, b'{"id": 5}', "cannot decode episode"),
        (33, None, "step_number"),  # a step renumbered: schema-valid, semantically wrong
        (44, b"[1, 2, 3]", "cannot decode episode"),
    ],
)
async def test_a_bad_line_names_its_number_and_nothing_is_written(
    line_number: int, replacement: bytes | None, expected: str
) -> None:
    lines = await _exported_lines()
    if replacement is None:
        record = json.loads(lines[line_number - 1])
        record["steps"][0]["step_number"] = 9
        replacement = json.dumps(record).encode()
    lines[line_number - 1] = replacement
    async with _memory() as target:
        with pytest.raises(TransferError) as caught:
            await import_jsonl(target, _file(lines), batch_size=10)
        assert await target.storage.count_episodes() == 0
        assert await target.storage.count_patterns() == 0
    assert caught.value.line == line_number
    assert str(caught.value).startswith(f"line {line_number}: ")
    assert expected in str(caught.value)
    assert isinstance(caught.value, ValidationError)


async def test_an_in_progress_episode_line_is_refused() -> None:
    lines = await _exported_lines()
    record = json.loads(lines[3])
    record["outcome"] = None
    record["completed_at"] = None
    record["reward"] = record["reflection"] = None
    lines[3] = json.dumps(record).encode()
    async with _memory() as target:
        with pytest.raises(TransferError, match=r"^line 4: .*in progress"):
            await import_jsonl(target, _file(lines))
        assert await target.storage.count_episodes() == 0


async def test_a_limit_breaking_episode_is_refused_with_the_field() -> None:
    lines = await _exported_lines()
    config = MemoryConfig(limits=Limits(max_task_description_chars=5))
    async with _memory(config=config) as target:
        with pytest.raises(TransferError) as caught:
            await import_jsonl(target, _file(lines))
        assert await target.storage.count_episodes() == 0
    assert caught.value.line == 2
    assert caught.value.field == "task_description"


async def test_a_line_longer_than_any_storable_episode_is_refused() -> None:
    lines = await _exported_lines()
    limits = Limits(max_episode_bytes=1000)
    with pytest.raises(TransferError, match=r"^line 2: line is longer than 3000 bytes"):
        await check_jsonl(_file(lines), limits)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "line 1: the file is empty"),
        (b"\n", "line 1: the file is empty"),
        (b"not json\n", "line 1: not a memory export header"),
        (b'{"format": "something-else", "version": 1}\n', "line 1: format is 'something-else'"),
        (
            b'{"format": "self-learning-memory/episodes", "version": 99}\n',
            "line 1: file format version 99 is not supported",
        ),
        (
            b'{"format": "self-learning-memory/episodes", "version": 1, '
            b'"record_schema_version": 7}\n',
            "line 1: episodes have record schema version 7",
        ),
    ],
)
async def test_a_bad_header_is_refused(content: bytes, expected: str) -> None:
    async with _memory() as target:
        with pytest.raises(TransferError) as caught:
            await import_jsonl(target, io.BytesIO(content))
        assert await target.storage.count_episodes() == 0
    assert str(caught.value).startswith(expected)


async def test_blank_lines_are_ignored() -> None:
    lines = await _exported_lines()
    spaced = [lines[0], b"", *lines[1:30], b"   ", *lines[30:], b""]
    async with _memory() as target:
        report = await import_jsonl(target, _file(spaced))
        assert report.imported == 60
        assert await target.storage.count_episodes() == 60


async def test_reimporting_skips_every_episode_and_changes_nothing(tmp_path: Path) -> None:
    lines = await _exported_lines()
    async with _memory(tmp_path / "store.db") as target:
        await import_jsonl(target, _file(lines))
        before = await _records(target)
        for policy in ("skip", "replace"):
            report = await import_jsonl(target, _file(lines), on_duplicate=policy)
            assert (report.imported, report.replaced, report.skipped) == (0, 0, 60)
        assert await _records(target) == before


def _edited(line: bytes, description: str) -> bytes:
    record = json.loads(line)
    record["task_description"] = description
    return json.dumps(record).encode()


async def test_skip_keeps_the_stored_episode_and_replace_overwrites_it() -> None:
    lines = await _exported_lines()
    changed = [lines[0], _edited(lines[5], "a different description")]
    async with _memory() as target:
        await import_jsonl(target, _file(lines))
        episode_id = json.loads(lines[5])["id"]
        report = await import_jsonl(target, _file(changed), on_duplicate="skip")
        assert (report.imported, report.replaced, report.skipped) == (0, 0, 1)
        assert (await target.get_episode(episode_id)).task_description != "a different description"
        report = await import_jsonl(target, _file(changed), on_duplicate="replace")
        assert (report.imported, report.replaced, report.skipped) == (0, 1, 0)
        assert (await target.get_episode(episode_id)).task_description == "a different description"
        assert await target.storage.count_episodes() == 60
        # The replaced episode is found by its new description, not its old one.
        hits = await target.retrieve_relevant_context(
            "a different description", TaskContext(), limit=1
        )
        assert str(hits[0].episode.id) == episode_id


@pytest.mark.parametrize(("policy", "winner"), [("skip", "first"), ("replace", "second")])
@pytest.mark.parametrize("batch_size", [2, 500])  # repeats in one batch, and across batches
async def test_an_id_repeated_in_the_file_follows_the_policy(
    policy: DuplicatePolicy, winner: str, batch_size: int
) -> None:
    lines = await _exported_lines()
    repeated = [lines[0], _edited(lines[1], "first"), lines[2], _edited(lines[1], "second")]
    async with _memory() as target:
        report = await import_jsonl(
            target, _file(repeated), on_duplicate=policy, batch_size=batch_size
        )
        assert report.episodes == 3
        assert report.imported == 2
        stored = await target.get_episode(json.loads(lines[1])["id"])
    assert stored.task_description == winner


async def test_import_without_learning_stores_episodes_but_no_patterns() -> None:
    lines = await _exported_lines()
    async with _memory() as target:
        await import_jsonl(target, _file(lines), learn=False)
        assert await target.storage.count_episodes() == 60
        assert await target.storage.count_patterns() == 0
        await target.relearn()
        assert await target.storage.count_patterns() > 0


async def test_import_learns_the_same_patterns_as_the_source() -> None:
    async with _memory() as source:
        await source.import_episodes(_workload()[:120])
        exported = await _export_bytes(source)
        expected = sorted(str(p.id) for p in await source.list_patterns())
    async with _memory() as target:
        await import_jsonl(target, io.BytesIO(exported))
        assert sorted(str(p.id) for p in await target.list_patterns()) == expected


async def test_progress_reports_every_phase_up_to_its_total() -> None:
    lines = await _exported_lines()
    seen: list[TransferProgress] = []
    async with _memory() as memory:
        await import_jsonl(memory, _file(lines), progress=seen.append, batch_size=25)
        await export_jsonl(memory, io.BytesIO(), progress=seen.append, batch_size=25)
    by_phase = {phase: [p for p in seen if p.phase == phase] for phase in ("check", "import")}
    size = len(b"".join(line + b"\n" for line in lines))
    assert by_phase["check"][-1].done == by_phase["check"][-1].total == size
    assert [p.done for p in by_phase["import"]] == [25, 50, 60]
    assert {p.total for p in by_phase["import"]} == {60}
    exports = [p for p in seen if p.phase == "export"]
    assert exports[-1].done == exports[-1].total == 60


async def test_argument_errors_are_validation_errors() -> None:
    lines = await _exported_lines()
    async with _memory() as memory:
        with pytest.raises(ValidationError, match="on_duplicate"):
            await import_jsonl(memory, _file(lines), on_duplicate="merge")  # type: ignore[arg-type]

        class Unseekable(io.BytesIO):
            def seekable(self) -> bool:
                return False

        with pytest.raises(ValidationError, match="seekable"):
            await import_jsonl(memory, Unseekable(b"".join(lines)))
        with pytest.raises(ValidationError, match="batch_size"):
            await import_jsonl(memory, _file(lines), batch_size=0)
        with pytest.raises(ValidationError, match="batch_size"):
            await export_jsonl(memory, io.BytesIO(), batch_size=-1)
        assert await memory.storage.count_episodes() == 0


async def test_an_episode_line_decodes_to_the_same_struct() -> None:
    # The wire form is plain msgspec JSON of the model, so any msgspec user can read it.
    lines = await _exported_lines()
    episode = msgspec.json.decode(lines[1], type=Episode)
    assert encode_json(episode) == lines[1]
    assert isinstance(episode.outcome, TaskOutcome)
