"""Structured logs: context fields on every record, JSON lines, and no secret ever printed."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator

import pytest

from memory_core import ExecutionStep, SelfLearningMemory, TaskContext, TaskOutcome
from memory_core.embedding import OpenAICompatibleEmbedder
from memory_core.errors import EmbeddingError, NotFoundError, StorageError
from memory_core.observability import (
    REDACTED,
    configure_logging,
    current_context,
    log_context,
    register_secret,
    scrub_secrets,
)
from memory_core.storage import InMemoryStorage
from memory_test_utils.embedding_server import EmbeddingServer

pytestmark = pytest.mark.anyio

CONTEXT = TaskContext(domain="web", language="python")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every log record of the test as a JSON line (DEBUG and up), through configure_logging."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(logging.DEBUG, fmt="json", stream=stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class _FailingStorage(InMemoryStorage):
    """In-memory storage whose episode writes fail once ``broken`` is set."""

    broken = False

    async def put_episode(self, episode):  # type: ignore[no-untyped-def]
        if self.broken:
            raise StorageError("disk on fire")
        await super().put_episode(episode)


async def test_lifecycle_records_carry_operation_and_episode_id(json_lines: io.StringIO) -> None:
    async with SelfLearningMemory() as memory:
        with log_context(namespace="team-a"):
            episode = await memory.start_episode("Add a health endpoint", CONTEXT)
            await memory.log_step(episode.id, ExecutionStep(tool="pytest", action="run tests"))
            await memory.complete_episode(episode.id, TaskOutcome(success=True))
    records = _records(json_lines)
    done = {r["operation"]: r for r in records if str(r["message"]).startswith("memory.")}
    for operation in ("start_episode", "log_step", "complete_episode"):
        record = done[operation]
        assert record["episode_id"] == str(episode.id)
        assert record["namespace"] == "team-a"
        assert record["level"] == "DEBUG"
        assert record["logger"] == "memory_core"
    storage_calls = [r for r in records if str(r["message"]).startswith("storage.put_episode")]
    assert storage_calls, "storage calls are logged at DEBUG"
    assert all(r["episode_id"] == str(episode.id) for r in storage_calls)
    # Outside the block the context is empty again.
    assert current_context() == {"episode_id": None, "namespace": None, "operation": None}


async def test_caller_errors_log_at_info_and_storage_failures_at_warning(
    json_lines: io.StringIO,
) -> None:
    storage = _FailingStorage()
    async with SelfLearningMemory(storage=storage) as memory:
        with pytest.raises(NotFoundError):
            await memory.get_episode("6f1c7e0e-1d4b-4a53-9d49-5a1d4f0e3b11")
        episode = await memory.start_episode("Rotate the logs", CONTEXT)
        storage.broken = True
        with pytest.raises(StorageError):
            await memory.log_step(episode.id, ExecutionStep(tool="sh", action="logrotate"))
    records = _records(json_lines)
    not_found = next(r for r in records if r.get("error_type") == "NotFoundError")
    assert not_found["level"] == "INFO"
    assert not_found["operation"] == "get_episode"
    failed = next(
        r for r in records if r.get("error_type") == "StorageError" and r["logger"] == "memory_core"
    )
    assert failed["level"] == "WARNING"
    assert failed["operation"] == "log_step"
    assert failed["episode_id"] == str(episode.id)
    assert "disk on fire" in str(failed["message"])


def test_registered_secrets_and_credential_shapes_are_scrubbed() -> None:
    secret = "tok-3f9a1c77e2b54d0a9c1e"
    register_secret(secret)
    register_secret("short")  # too short to be a credential: ignored, not scrubbed
    assert scrub_secrets(f"sending {secret} now") == f"sending {REDACTED} now"
    assert scrub_secrets("Authorization: Bearer abcdefghijklmnop") == (
        f"Authorization: Bearer {REDACTED}"
    )
    assert scrub_secrets("libsql://admin:hunter22@db.example") == (
        f"libsql://{REDACTED}@db.example"
    )
    assert scrub_secrets("a short word stays") == "a short word stays"


def test_json_and_text_output_never_contain_a_registered_secret() -> None:
    secret = "key-9d0e4b1f7a3c48e6b2d5"
    register_secret(secret)
    for fmt in ("json", "text"):
        stream = io.StringIO()
        root = logging.getLogger()
        handler = configure_logging(logging.INFO, fmt=fmt, stream=stream)  # type: ignore[arg-type]
        try:
            log = logging.getLogger("memory_core.test")
            log.warning("connecting with %s", secret, extra={"detail": f"token={secret}"})
            try:
                raise RuntimeError(f"refused {secret}")
            except RuntimeError:
                log.exception("failed")
        finally:
            root.removeHandler(handler)
        output = stream.getvalue()
        assert secret not in output
        # message and traceback; JSON also prints the `extra` field
        assert output.count(REDACTED) >= (3 if fmt == "json" else 2), output


def test_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log format"):
        configure_logging(fmt="xml")  # type: ignore[arg-type]


def test_embedder_api_key_stays_out_of_errors_and_logs(
    embedding_server: EmbeddingServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused key: the error says so, and neither it nor any log line shows the key."""
    caplog.set_level(logging.DEBUG)
    wrong_key = "sk-wrong-5b8e2f0c9d7a41e3"
    embedder = OpenAICompatibleEmbedder(
        "test-model", base_url=embedding_server.url, api_key=wrong_key, dim=16
    )
    with pytest.raises(EmbeddingError) as error:
        embedder.embed(["hello"])
    assert wrong_key not in str(error.value)
    assert wrong_key not in repr(embedder)
    assert wrong_key not in caplog.text


async def test_remote_store_token_stays_out_of_errors_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A store that cannot be reached: typed error after retries, token never shown."""
    from memory_storage_turso import TursoStorage

    caplog.set_level(logging.DEBUG)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    token = "eyJhbGciOiJFZERTQSJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJlLWJ5dGVz"
    storage = TursoStorage(f"http://127.0.0.1:{port}?authToken={token}", retry_for=0.3)
    with pytest.raises(StorageError) as error:
        await storage.open()
    assert token not in str(error.value)
    assert token not in repr(storage)
    assert token not in caplog.text


def test_detected_key_shapes_are_scrubbed_even_unregistered() -> None:
    """A key an agent put in a task description never reaches the log output verbatim."""
    key = "AKIA" + "Q3EXAMPLE7KEY2ZZ"
    body = "MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA"
    pem = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"
    scrubbed = scrub_secrets(f"cannot store task 'deploy with {key}': too long\n{pem}")
    assert key not in scrubbed
    assert body not in scrubbed
    assert "[redacted:aws_access_key_id]" in scrubbed
    assert scrubbed.startswith("cannot store task 'deploy with ")
