"""A damaged stored record reaches the client as a storage error, never as a bad argument."""

from __future__ import annotations

from pathlib import Path

import libsql  # type: ignore[import-untyped]
import pytest
from mcp import Client
from mcp_helpers import error_text, structured

from memory_mcp import Settings, build_server

pytestmark = pytest.mark.anyio


async def test_damaged_record_is_reported_as_storage_error(tmp_path: Path) -> None:
    settings = Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)}, cache_enabled=False)
    server, _ = build_server(settings)
    async with Client(server) as client:
        started = structured(
            await client.call_tool(
                "start_episode", {"task_description": "Rotate the logs", "domain": "ops"}
            )
        )
        episode_id = started["episode_id"]
        conn = libsql.connect(str(tmp_path / "memory.db"))
        try:
            conn.execute(
                "UPDATE episodes SET data = ? WHERE id = ?",
                (b"\xc1 not msgpack", bytes.fromhex(episode_id.replace("-", ""))),
            )
            conn.commit()
        finally:
            conn.close()
        message = error_text(await client.call_tool("get_episode", {"episode_id": episode_id}))
    assert "storage error: cannot decode episode" in message, message
    assert episode_id in message
