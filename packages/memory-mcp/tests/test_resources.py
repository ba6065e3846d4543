"""The MCP resources: default-namespace listings and the errors of single-record reads."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_helpers import resource_json, structured

from memory_mcp import Settings, build_server

pytestmark = pytest.mark.anyio


async def test_default_listings_and_record_errors(tmp_path: Path) -> None:
    server, _ = build_server(Settings.from_env({"MEMORY_DATA_DIR": str(tmp_path)}))
    async with Client(server) as client:
        assert resource_json(await client.read_resource("memory://episodes")) == []
        assert resource_json(await client.read_resource("memory://patterns")) == []
        assert resource_json(await client.read_resource("memory://team/patterns")) == []

        started = structured(
            await client.call_tool(
                "start_episode", {"task_description": "rotate the API keys", "domain": "security"}
            )
        )
        episode_id = str(started["episode_id"])
        listed = resource_json(await client.read_resource("memory://episodes"))
        assert [e["episode_id"] for e in listed] == [episode_id]
        assert resource_json(await client.read_resource("memory://team/episodes")) == []

        with pytest.raises(MCPError, match="episode_id: must be a UUID, got 'not-a-uuid'"):
            await client.read_resource("memory://default/episodes/not-a-uuid")
        with pytest.raises(MCPError, match="pattern_id: must be a UUID"):
            await client.read_resource("memory://default/patterns/42")
        missing = uuid.UUID(int=12345)
        with pytest.raises(MCPError, match=f"pattern {missing} does not exist"):
            await client.read_resource(f"memory://default/patterns/{missing}")
