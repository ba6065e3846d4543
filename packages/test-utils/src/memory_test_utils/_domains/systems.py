"""Domain systems: performance, crashes, runtime features and internals docs."""

from __future__ import annotations

from .._vocabulary_types import Domain
from ._constructors import stack, task_kind

__all__ = ["DOMAIN"]

_SYS_ENTITIES = ("ring buffer", "parser", "allocator", "scheduler", "hash table")
DOMAIN = Domain(
    name="systems",
    stacks=(
        stack(
            "c",
            "cmake",
            ("cmake", "make", "gcc", "gdb", "valgrind", "ctest", "ripgrep"),
            (("cmake", "make", "ctest"), ("gcc", "valgrind", "gdb")),
            ("c_undeclared", "segfault", "invalid_read", "git_push_rejected"),
            ("ctest_pass", "leaks"),
            ("src/{entity}.c", "tests/test_{entity}.c"),
        ),
        stack(
            "rust",
            "tokio",
            ("cargo", "clippy", "rustfmt", "perf", "ripgrep"),
            (("rustfmt", "clippy", "cargo"), ("cargo", "perf", "git")),
            ("rust_unresolved", "rust_borrow"),
            ("cargo_pass",),
            ("src/{entity}.rs", "benches/{entity}.rs"),
        ),
    ),
    kinds=(
        task_kind(
            "systems.perf",
            "debugging",
            ("performance", "profiling"),
            "Throughput improved",
            _SYS_ENTITIES,
            "Optimize the {entity} hot loop",
            "Profile and speed up the {entity}",
            "Reduce allocations in the {entity}",
        ),
        task_kind(
            "systems.crash",
            "debugging",
            ("crash", "memory"),
            "Crash fixed",
            _SYS_ENTITIES,
            "Fix segfault in the {entity}",
            "Debug a data race in the {entity}",
            "Fix memory leak in the {entity}",
        ),
        task_kind(
            "systems.feature",
            "code_generation",
            ("feature", "runtime"),
            "Feature implemented",
            _SYS_ENTITIES,
            "Implement a lock-free {entity}",
            "Add a configurable {entity} to the runtime",
        ),
        task_kind(
            "systems.docs",
            "documentation",
            ("docs", "internals"),
            "Design note written",
            _SYS_ENTITIES,
            "Document the {entity} internals",
            "Write a design note for the {entity}",
        ),
    ),
    subgoals=("implement", "benchmark", "fix tests", "document"),
)
