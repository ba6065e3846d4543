"""Child process of the durability test: records episodes until killed.

Prints each episode id on its own line, flushed, right after ``complete_episode``
returned: a printed id is a promise that the episode is durable.
"""

from __future__ import annotations

import sys

import anyio

from memory_core import ExecutionStep, SelfLearningMemory, TaskContext, TaskOutcome
from memory_storage_turso import TursoStorage


async def main(path: str) -> None:
    context = TaskContext(language="python", domain="web", tags=("api",))
    async with SelfLearningMemory(storage=TursoStorage(path)) as memory:
        number = 0
        while True:
            episode = await memory.start_episode(f"Build REST endpoint {number}", context)
            step = ExecutionStep(tool="pytest", action="run tests", observation="ok" * 200)
            await memory.log_step(episode.id, step)
            outcome = TaskOutcome(success=True, result="done", duration_ms=1000)
            await memory.complete_episode(episode.id, outcome)
            sys.stdout.write(f"{episode.id}\n")
            sys.stdout.flush()
            number += 1


if __name__ == "__main__":
    anyio.run(main, sys.argv[1])
