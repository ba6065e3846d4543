"""The server redacts secrets by default: tool results, the stored files, exports, patterns.

Secrets are assembled at run time (so scanners do not flag this file) and each has a
distinctive core that is searched case-insensitively (FTS5 stores lower-cased terms).
"""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from mcp import Client
from mcp_helpers import structured

from memory_mcp import Settings, build_server
from memory_mcp.cli import main as cli_main
from memory_mcp.server import add_server_arguments, settings_from_args

pytestmark = pytest.mark.anyio


def _core() -> str:
    return uuid.uuid4().hex[:18].upper() + "Kq" + uuid.uuid4().hex[:16]


class Secrets:
    """Distinct secrets of several kinds; ``cores`` are what must never be stored."""

    def __init__(self) -> None:
        self.cores: list[str] = []

    def _keep(self, core: str) -> str:
        self.cores.append(core)
        return core

    def github(self) -> str:
        return "gh" + "p_" + self._keep(_core())

    def openai(self) -> str:
        return "sk" + "-proj-" + self._keep(_core())

    def aws_id(self) -> str:
        return "AK" + "IA" + self._keep(uuid.uuid4().hex[:16].upper())

    def bearer(self) -> str:
        return "Authorization: Bearer " + self._keep("tk" + _core())

    def password(self) -> str:
        return "password=" + self._keep("pw" + uuid.uuid4().hex[:12])


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings.from_env(
        {"MEMORY_DATA_DIR": str(tmp_path)}, learn_synchronously=True, **overrides
    )


async def _record(client: Client, secrets: Secrets) -> list[str]:
    """Three alike episodes with secrets in every free-text argument; returns their ids."""
    language = f"python {secrets.github()}"
    framework = f"django {secrets.openai()}"
    failing = f"401 Unauthorized for {secrets.bearer()}"
    ids = []
    for _ in range(3):
        started = structured(
            await client.call_tool(
                "start_episode",
                {
                    "task_description": f"Rotate the API key {secrets.openai()} in CI",
                    "domain": "web",
                    "language": language,
                    "framework": framework,
                    "task_type": f"ops {secrets.aws_id()}",
                    "tags": ["ci", secrets.github().lower()],
                },
            )
        )
        episode_id = str(started["episode_id"])
        ids.append(episode_id)
        for success in (False, True):
            step: dict[str, Any] = {
                "episode_id": episode_id,
                "tool": "curl",
                "action": f"curl -H '{secrets.bearer()}' https://api.example.com",
                "success": success,
                "observation": f"export {secrets.password()} AWS {secrets.aws_id()}",
                "parameters": {
                    "url": f"https://deploy:{secrets._keep('pw' + _core())}@ci.example.com",
                    "api_key": secrets._keep("plain" + _core()),
                    "nested": [{"token": secrets.github()}],
                },
            }
            if not success:
                step["error"] = failing
            structured(await client.call_tool("log_step", step))
        structured(
            await client.call_tool(
                "complete_episode",
                {
                    "episode_id": episode_id,
                    "success": True,
                    "result": f"rotated; new key {secrets.openai()}",
                    "artifacts": [f".env {secrets.password()}"],
                },
            )
        )
    return ids


def _assert_clean(text: str, secrets: Secrets, where: str) -> None:
    lowered = text.lower()
    leaked = [core for core in secrets.cores if core.lower() in lowered]
    assert leaked == [], f"{where} holds planted secrets"


async def test_default_server_keeps_secrets_out_of_results_store_and_exports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    assert settings.redact_secrets is True
    secrets = Secrets()
    server, _ = build_server(settings)
    async with Client(server) as client:
        ids = await _record(client, secrets)
        seen: list[Any] = []
        for episode_id in ids:
            seen.append(
                structured(await client.call_tool("get_episode", {"episode_id": episode_id}))
            )
        seen.append(structured(await client.call_tool("list_episodes", {})))
        seen.append(structured(await client.call_tool("query_memory", {"query": "rotate key"})))
        patterns = structured(await client.call_tool("analyze_patterns", {"min_success_rate": 0}))
        assert patterns["patterns"], "three alike episodes should yield patterns"
        seen.append(patterns)
        seen.append(
            structured(
                await client.call_tool("recommend_patterns", {"task_description": "rotate key"})
            )
        )
        seen.append(structured(await client.call_tool("get_heuristics", {})))
        stats = structured(await client.call_tool("get_stats", {}))
        redaction = stats["stats"]["redaction"]
        assert redaction["enabled"] is True
        assert redaction["values_redacted"] >= len(secrets.cores)
        assert {"github_token", "openai_key", "bearer_token", "sensitive_field"} <= set(
            redaction["by_kind"]
        )
        dumped = json.dumps(seen)
        assert "[REDACTED:" in dumped
        _assert_clean(dumped, secrets, "tool results")

    # The store on disk: database, WAL and cache files, byte for byte.
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    _assert_clean(stored.decode("latin-1"), secrets, "the stored files")

    # `memory export` reads the same store.
    for name in ("MEMORY_DB_URL", "MEMORY_CACHE_PATH", "MEMORY_NAMESPACE", "MEMORY_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEMORY_DATA_DIR", str(tmp_path))
    export = tmp_path.parent / f"{tmp_path.name}-export.jsonl"
    code = await anyio.to_thread.run_sync(cli_main, ["--quiet", "export", "-o", str(export)])
    assert code == 0
    lines = export.read_text().splitlines()
    assert len(lines) == 1 + len(ids)
    _assert_clean(export.read_text(), secrets, "the export")


async def test_redaction_can_be_switched_off(tmp_path: Path) -> None:
    secrets = Secrets()
    server, _ = build_server(_settings(tmp_path, redact_secrets=False))
    async with Client(server) as client:
        planted = secrets.github()
        started = structured(
            await client.call_tool(
                "start_episode", {"task_description": f"task {planted}", "domain": "web"}
            )
        )
        episode = structured(
            await client.call_tool("get_episode", {"episode_id": started["episode_id"]})
        )
        assert planted in json.dumps(episode)


def test_settings_flag_and_environment(tmp_path: Path) -> None:
    base = {"MEMORY_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(base).memory_config().redaction.enabled is True
    off = Settings.from_env({**base, "MEMORY_MCP_REDACT_SECRETS": "0"})
    assert off.redact_secrets is False
    assert off.memory_config().redaction.enabled is False
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    args = parser.parse_args(["--data-dir", str(tmp_path), "--no-redact-secrets"])
    assert settings_from_args(args).redact_secrets is False
    args = parser.parse_args(["--data-dir", str(tmp_path)])
    assert settings_from_args(args).redact_secrets is True
