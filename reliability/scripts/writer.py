"""Writer child of the SIGKILL and multi-process scenarios: an agent recording episodes.

    writer.py --storage libsql|sqld|tiered --target PATH_OR_URL [--cache PATH]
              [--count N] [--steps K] [--seed S] [--go FILE]

Opens a ``SelfLearningMemory`` on the storage, prints ``ready``, waits for the ``--go``
file when given, then records ``--count`` episodes (0: until killed), each started,
given ``--steps`` steps and completed. After ``complete_episode`` returned it prints
``ack <episode id> <milliseconds the episode took>``, flushed: a printed line is a
promise that the episode is durable. Prints ``done`` at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import anyio

from memory_core import ExecutionStep, SelfLearningMemory, TaskContext, TaskOutcome
from memory_core.storage import StorageBackend, TieredStorage
from memory_storage_redb import RedbCache
from memory_storage_turso import TursoStorage

DOMAINS = ("web", "data", "devops", "ml", "cli")
TOOLS = ("pytest", "ruff", "git", "docker", "curl", "psql", "make")


def make_storage(kind: str, target: str, cache: str | None) -> StorageBackend | TieredStorage:
    if kind == "tiered":
        assert cache is not None, "--cache is required with --storage tiered"
        return TieredStorage(TursoStorage(target), RedbCache(cache))
    return TursoStorage(target)


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    storage = make_storage(args.storage, args.target, args.cache)
    async with SelfLearningMemory(storage=storage) as memory:
        print("ready", flush=True)
        if args.go is not None:
            while not args.go.exists():
                await anyio.sleep(0.005)
        number = 0
        while args.count == 0 or number < args.count:
            started = time.perf_counter()
            domain = rng.choice(DOMAINS)
            context = TaskContext(language="python", domain=domain, tags=("reliability",))
            episode = await memory.start_episode(
                f"{domain} task {args.seed}-{number}: fix the failing build", context
            )
            for index in range(args.steps):
                step = ExecutionStep(
                    tool=rng.choice(TOOLS),
                    action=f"step {index} of task {number}",
                    latency_ms=rng.randint(5, 500),
                    tokens=rng.randint(10, 2000),
                    success=rng.random() > 0.1,
                    observation="output line\n" * 20,
                )
                await memory.log_step(episode.id, step)
            outcome = TaskOutcome(success=True, result="build fixed", duration_ms=1000)
            await memory.complete_episode(episode.id, outcome)
            elapsed_ms = (time.perf_counter() - started) * 1000
            sys.stdout.write(f"ack {episode.id} {elapsed_ms:.3f}\n")
            sys.stdout.flush()
            number += 1
    print("done", flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--storage", choices=("libsql", "sqld", "tiered"), required=True)
    parser.add_argument("--target", required=True, help="libSQL file or sqld URL")
    parser.add_argument("--cache", help="redb cache file (tiered)")
    parser.add_argument("--count", type=int, default=0, help="episodes; 0 = until killed")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--go", type=Path, help="wait for this file before writing")
    return parser.parse_args(argv)


if __name__ == "__main__":
    anyio.run(main, parse())
