"""Child process of the concurrency test: writes generated episodes one transaction each.

Opens the storage (racing the other writers through the migrations), prints
``ready``, waits for the go file, then writes ``count`` episodes of ``seed``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import anyio

from memory_storage_turso import TursoStorage
from memory_test_utils import generate_episodes


async def main(path: str, seed: int, count: int, go: Path) -> None:
    episodes = list(generate_episodes(count, seed=seed))
    async with TursoStorage(path) as storage:
        print("ready", flush=True)
        while not go.exists():
            time.sleep(0.005)
        for episode in episodes:
            await storage.put_episode(episode)
    print("done", flush=True)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
