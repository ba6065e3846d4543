"""Write-time redaction through SelfLearningMemory on a real libSQL file.

Distinct secrets are planted in every free-text field that start_episode, log_step,
complete_episode and import_episodes store; afterwards neither the database files'
bytes nor any row read back through libsql may hold one of them (FTS tokens included:
the check is case-insensitive on each secret's distinctive core).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import libsql  # type: ignore[import-untyped]
import pytest

from memory_core import (
    Episode,
    ExecutionStep,
    MemoryConfig,
    RedactionConfig,
    Reflection,
    SelfLearningMemory,
    TaskContext,
    TaskOutcome,
)
from memory_core.models import utc_now
from memory_storage_turso import TursoStorage

pytestmark = pytest.mark.anyio

REDACTING = MemoryConfig(redaction=RedactionConfig(enabled=True), learn_synchronously=True)


class Planted:
    """Hands out distinct GitHub-shaped tokens, one per field, and remembers them."""

    def __init__(self) -> None:
        self.secrets: list[str] = []

    def __call__(self) -> str:
        core = uuid.uuid4().hex[:20].upper() + "Qz" + uuid.uuid4().hex[:14]
        secret = "gh" + "p_" + core
        self.secrets.append(secret)
        return secret


def _step(plant: Planted, *, with_error: bool) -> ExecutionStep:
    return ExecutionStep(
        tool="bash",
        action=f"curl -H 'Authorization: token {plant()}' https://api.github.com",
        observation=f"HTTP 401 for {plant()}",
        error=f"bad credentials {plant()}" if with_error else None,
        success=not with_error,
        parameters={
            "cmd": f"gh auth login --with-token {plant()}",
            "env": {"GITHUB_TOKEN": plant(), "list": [f"x {plant()}"]},
            f"key {plant()}": 1,
        },
    )


async def _plant_everywhere(memory: SelfLearningMemory, plant: Planted) -> list[uuid.UUID]:
    ids = []
    for _ in range(3):  # three alike episodes, so patterns are mined from them
        context = TaskContext(
            language=f"python {plant()}",
            domain="web",
            framework=f"fastapi {plant()}",
            tags=["api", plant().lower()],
        )
        episode = await memory.start_episode(
            f"Rotate the leaked token {plant()} in CI",
            context,
            task_type=f"ops {plant()}",
            tags=["ci", plant().lower()],
            metadata={"ticket": f"SEC-1 {plant()}", "nested": {"deep": [plant()]}},
        )
        ids.append(episode.id)
        await memory.log_step(episode.id, _step(plant, with_error=True))
        await memory.log_step(episode.id, _step(plant, with_error=False))
        await memory.complete_episode(
            episode.id,
            TaskOutcome(
                success=True,
                result=f"rotated {plant()}",
                error=f"warning {plant()}",
                artifacts=(f"ci.yml {plant()}",),
            ),
        )
    return ids


def _imported(plant: Planted) -> Episode:
    now = utc_now()
    return Episode(
        id=uuid.uuid4(),
        task_description=f"imported task {plant()}",
        task_type=f"imported {plant()}",
        context=TaskContext(domain=f"web {plant()}", tags=("ops", plant().lower())),
        steps=(
            ExecutionStep(
                tool=f"tool {plant()}",
                action=f"act {plant()}",
                observation=f"obs {plant()}",
                error=f"err {plant()}",
                success=False,
                parameters={"p": plant()},
                step_number=1,
                timestamp=now,
            ),
        ),
        outcome=TaskOutcome(
            success=False,
            status="partial",
            result=f"res {plant()}",
            error=f"err {plant()}",
            artifacts=(f"a {plant()}",),
            completed=(f"c {plant()}",),
            failed=(f"f {plant()}",),
        ),
        reflection=Reflection(
            successes=(f"s {plant()}",), improvements=(f"i {plant()}",), insights=(f"n {plant()}",)
        ),
        tags=(plant().lower(),),
        metadata={"m": plant(), "password": "plain-words"},
        started_at=now,
        completed_at=now,
    )


def _stored_text(directory: Path) -> str:
    """Every byte of the database files, and every row of every table through libsql."""
    raw = b"".join(path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file())
    connection = libsql.connect(str(directory / "memory.db"))
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            ).fetchall()
        ]
        cells: list[str] = []
        for table in tables:
            try:
                rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
            except Exception:  # vector shadow tables may not be readable
                continue
            for row in rows:
                for cell in row:
                    if isinstance(cell, bytes):
                        cells.append(cell.decode("utf-8", "replace"))
                    elif cell is not None:
                        cells.append(str(cell))
    finally:
        connection.close()
    return raw.decode("latin-1") + "\n".join(cells)


def _cores(secrets: list[str]) -> list[str]:
    # The distinctive part of each token, lower-cased (FTS5 stores lower-cased terms).
    return [secret.removeprefix("ghp_").lower() for secret in secrets]


async def test_planted_secrets_are_removed_from_every_stored_field(tmp_path: Path) -> None:
    plant = Planted()
    async with SelfLearningMemory(REDACTING, storage=TursoStorage(tmp_path / "memory.db")) as mem:
        ids = await _plant_everywhere(mem, plant)
        imported = _imported(plant)
        assert await mem.import_episodes([imported]) == 1
        await mem.wait_learned()
        assert await mem.list_patterns()  # learning ran on the redacted episodes
        stats = await mem.stats()
        for episode_id in [*ids, imported.id]:
            stored = await mem.get_episode(episode_id)
            assert "[REDACTED:github_token]" in stored.task_description
            assert stored.reflection is not None
    # Each planted token is one redacted value. The GITHUB_TOKEN parameter of each of the
    # six logged steps is replaced whole as a credential-named field, and so is the
    # imported episode's plain-words password.
    tokens_in_fields = 6
    assert stats.redaction.enabled
    assert stats.redaction.by_kind == {
        "github_token": len(plant.secrets) - tokens_in_fields,
        "sensitive_field": tokens_in_fields + 1,
    }
    assert stats.redaction.values_redacted == len(plant.secrets) + 1

    text = _stored_text(tmp_path).lower()
    assert "redacted" in text
    leaked = [core for core in _cores(plant.secrets) if core in text]
    assert leaked == []
    assert "plain-words" not in text


async def test_redaction_is_off_by_default(tmp_path: Path) -> None:
    plant = Planted()
    config = MemoryConfig(learn_synchronously=True)
    async with SelfLearningMemory(config, storage=TursoStorage(tmp_path / "memory.db")) as mem:
        episode = await mem.start_episode(f"task {plant()}", TaskContext(domain="web"))
        await mem.log_step(episode.id, ExecutionStep(tool="t", action="a", observation=plant()))
        stored = await mem.get_episode(episode.id)
        assert plant.secrets[0] in stored.task_description
        assert stored.steps[0].observation == plant.secrets[1]
        stats = await mem.stats()
    assert stats.redaction.enabled is False
    assert stats.redaction.values_redacted == 0
    assert plant.secrets[0] in _stored_text(tmp_path)


async def test_an_episode_that_outgrows_its_limit_through_markers_is_refused() -> None:
    from memory_core import Limits, ValidationError
    from memory_core.codec import encode_msgpack

    config = MemoryConfig(
        redaction=RedactionConfig(enabled=True, replacement="[" + "R" * 90 + ":{kind}]"),
        limits=Limits(max_episode_bytes=2_000),
    )
    episode = _imported(Planted())
    assert len(encode_msgpack(episode)) < 2_000  # valid as given; too big once redacted
    async with SelfLearningMemory(config) as mem:
        with pytest.raises(ValidationError, match="episode"):
            await mem.import_episodes([episode])
        assert await mem.list_episodes() == []
