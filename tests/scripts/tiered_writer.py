"""Child of the four-process test: writes episodes through libSQL + a shared redb cache path.

Only one process can hold the redb file; the others fall back to a private cache
file (one log line) and keep working: libSQL is the source of truth.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import anyio

from memory_core.storage import TieredStorage
from memory_storage_redb import RedbCache
from memory_storage_turso import TursoStorage
from memory_test_utils import generate_episodes


async def main(db: str, cache: str, seed: int, count: int, go: Path) -> None:
    episodes = list(generate_episodes(count, seed=seed))
    async with TieredStorage(TursoStorage(db), RedbCache(cache)) as storage:
        print("ready", flush=True)
        while not go.exists():
            time.sleep(0.005)
        for episode in episodes:
            await storage.put_episode(episode)
            assert await storage.get_episode(episode.id) == episode
    print("done", flush=True)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]))
