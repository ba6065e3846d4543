"""benchmarks/regression.py: the gate that fails `nox -s bench` when medians regress."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "regression.py"
CPU = "Test CPU 9000"


def _load_script() -> ModuleType:
    # benchmarks/ is not a package and the tests run with --import-mode=importlib,
    # so the script is loaded from its path.
    spec = importlib.util.spec_from_file_location("bench_regression", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


regression = _load_script()


def pytest_benchmark_json(medians: dict[str, float], cpu: str = CPU) -> dict[str, Any]:
    """The parts of a `pytest --benchmark-json` file that the gate reads."""
    return {
        "machine_info": {
            "python_version": "3.11.7",
            "system": "Linux",
            "machine": "x86_64",
            "cpu": {"brand_raw": cpu, "count": 2},
        },
        "benchmarks": [
            {
                "name": name.rsplit("::", 1)[-1],
                "fullname": name,
                "stats": {"median": median, "rounds": 5, "mean": median},
            }
            for name, median in medians.items()
        ],
    }


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A baseline of two benchmarks made with --update, and the path for the next run."""
    first = write_json(
        tmp_path / "first.json",
        pytest_benchmark_json({"bench_a.py::test_fast": 0.010, "bench_a.py::test_slow": 2.0}),
    )
    baseline = tmp_path / "baseline.json"
    code = regression.main(["--current", str(first), "--baseline", str(baseline), "--update"])
    assert code == 0
    return {"baseline": baseline, "current": tmp_path / "latest.json"}


def run_gate(files: dict[str, Path], medians: dict[str, float], *extra: str, **kw: Any) -> int:
    write_json(files["current"], pytest_benchmark_json(medians, **kw))
    args = ["--current", str(files["current"]), "--baseline", str(files["baseline"]), *extra]
    code: int = regression.main(args)
    return code


def test_within_threshold_passes_and_prints_the_table(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_gate(files, {"bench_a.py::test_fast": 0.0119, "bench_a.py::test_slow": 1.5})
    out = capsys.readouterr().out
    assert code == 0
    assert "| benchmark | baseline median | current median | ratio | verdict |" in out
    assert "| bench_a.py::test_fast | 10 ms | 11.9 ms | 1.19× | ok |" in out
    assert "| bench_a.py::test_slow | 2 s | 1.5 s | 0.75× | ok |" in out
    assert "OK: 2 median(s) within 20% of the baseline" in out


def test_regression_beyond_threshold_fails(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_gate(files, {"bench_a.py::test_fast": 0.0121, "bench_a.py::test_slow": 2.0})
    out = capsys.readouterr().out
    assert code == 1
    assert "| bench_a.py::test_fast | 10 ms | 12.1 ms | 1.21× | **REGRESSED** |" in out
    assert "FAILED: 1 median(s) regressed by more than 20%" in out


@pytest.mark.parametrize(
    ("threshold", "ratio", "expected"),
    [("10%", 1.15, 1), ("0.1", 1.09, 0), ("25 %", 1.24, 0), ("0", 1.001, 1), ("0", 1.0, 0)],
)
def test_threshold_option(
    files: dict[str, Path], threshold: str, ratio: float, expected: int
) -> None:
    medians = {"bench_a.py::test_fast": 0.010 * ratio, "bench_a.py::test_slow": 2.0}
    assert run_gate(files, medians, "--threshold", threshold) == expected


@pytest.mark.parametrize("threshold", ["fast", "-5%", "nan", ""])
def test_bad_threshold_is_a_usage_error(files: dict[str, Path], threshold: str) -> None:
    with pytest.raises(SystemExit) as exc:
        run_gate(files, {"bench_a.py::test_fast": 0.01}, "--threshold", threshold)
    assert exc.value.code == 2


def test_missing_benchmark_warns_and_fails_only_when_asked(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_gate(files, {"bench_a.py::test_fast": 0.010}) == 0
    captured = capsys.readouterr()
    assert "| bench_a.py::test_slow | 2 s | – | – | missing |" in captured.out
    assert "did not run: bench_a.py::test_slow" in captured.err

    assert run_gate(files, {"bench_a.py::test_fast": 0.010}, "--fail-on-missing") == 1
    assert "missing from the run" in capsys.readouterr().out


def test_new_benchmark_is_listed_and_never_fails(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    medians = {"bench_a.py::test_fast": 0.01, "bench_a.py::test_slow": 2.0, "bench_b.py::t": 9.0}
    assert run_gate(files, medians) == 0
    captured = capsys.readouterr()
    assert "| bench_b.py::t | – | 9 s | – | new |" in captured.out
    assert "--update" in captured.err


def test_update_rewrites_the_baseline_with_the_machine(files: dict[str, Path]) -> None:
    medians = {"bench_a.py::test_fast": 0.5, "bench_c.py::test_other": 0.25}
    assert run_gate(files, medians, "--update", cpu="Other CPU") == 0
    saved = json.loads(files["baseline"].read_text(encoding="utf-8"))
    assert saved["schema"] == regression.BASELINE_SCHEMA
    assert saved["machine"] == {
        "cpu": "Other CPU",
        "cores": 2,
        "python": "3.11.7",
        "system": "Linux x86_64",
    }
    # Rewritten, not merged: test_slow from the first run is gone.
    assert saved["benchmarks"] == {
        "bench_a.py::test_fast": {"median_s": 0.5, "rounds": 5},
        "bench_c.py::test_other": {"median_s": 0.25, "rounds": 5},
    }
    assert run_gate(files, medians, cpu="Other CPU") == 0


def test_update_keep_missing_merges_a_subset(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    medians = {"bench_a.py::test_fast": 0.02, "bench_b.py::test_new": 0.5}
    assert run_gate(files, medians, "--update", "--keep-missing", cpu="Other CPU") == 0
    assert "kept entries were measured on 'Test CPU 9000'" in capsys.readouterr().err
    saved = json.loads(files["baseline"].read_text(encoding="utf-8"))
    assert saved["machine"]["cpu"] == "Other CPU"
    assert {name: entry["median_s"] for name, entry in saved["benchmarks"].items()} == {
        "bench_a.py::test_fast": 0.02,
        "bench_a.py::test_slow": 2.0,
        "bench_b.py::test_new": 0.5,
    }


def test_update_keep_missing_without_a_baseline_writes_one(tmp_path: Path) -> None:
    current = write_json(tmp_path / "run.json", pytest_benchmark_json({"b.py::t": 0.1}))
    baseline = tmp_path / "new" / "baseline.json"
    args = ["--current", str(current), "--baseline", str(baseline), "--update", "--keep-missing"]
    assert regression.main(args) == 0
    assert regression.load_baseline(baseline).medians == {"b.py::t": 0.1}


def test_different_cpu_warns(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    medians = {"bench_a.py::test_fast": 0.010, "bench_a.py::test_slow": 2.0}
    assert run_gate(files, medians, cpu="Some Laptop") == 0
    err = capsys.readouterr().err
    assert f"baseline was measured on {CPU!r}, this run on 'Some Laptop'" in err
    assert run_gate(files, medians) == 0
    assert "measured on" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not a readable JSON file"),
        ("[]", "expected a JSON object"),
        ('{"machine_info": {}}', "required field 'benchmarks' is missing"),
        ('{"benchmarks": [{"fullname": "x", "stats": {}}]}', "required field 'median'"),
        ('{"benchmarks": [{"fullname": "x", "stats": {"median": -1}}]}', "positive finite"),
        ('{"benchmarks": [{"fullname": "x", "stats": {"median": "1"}}]}', "must be a number"),
        ('{"benchmarks": [{"fullname": "x", "stats": {"median": true}}]}', "must be a number"),
        (
            '{"benchmarks": [{"fullname": "x", "stats": {"median": 1}},'
            ' {"fullname": "x", "stats": {"median": 1}}]}',
            "appears twice",
        ),
    ],
)
def test_bad_current_file_is_an_input_error_and_writes_nothing(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    message: str,
) -> None:
    if content is not None:
        files["current"].write_text(content, encoding="utf-8")
    before = files["baseline"].read_bytes()
    for extra in ([], ["--update"]):
        args = ["--current", str(files["current"]), "--baseline", str(files["baseline"]), *extra]
        assert regression.main(args) == 2
        assert message in capsys.readouterr().err
    assert files["baseline"].read_bytes() == before


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema="something-else/9"), "is not 'memory-benchmarks-baseline/1'"),
        (lambda d: d.pop("machine"), "required field 'machine' is missing"),
        (lambda d: d.update(benchmarks=[]), "must be an object keyed by name"),
        (lambda d: d["benchmarks"]["bench_a.py::test_fast"].update(median_s=0), "positive"),
    ],
)
def test_bad_baseline_is_an_input_error(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], mutate: Any, message: str
) -> None:
    data = json.loads(files["baseline"].read_text(encoding="utf-8"))
    mutate(data)
    write_json(files["baseline"], data)
    assert run_gate(files, {"bench_a.py::test_fast": 0.01}) == 2
    assert message in capsys.readouterr().err


def test_compare_rejects_negative_threshold() -> None:
    run = regression.Run(machine=regression.Machine(cpu=CPU), medians={"a": 1.0}, rounds={})
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        regression.compare(run, run, -0.1)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "–"), (1234.5, "1234 s"), (12.345, "12.3 s"), (0.0123, "12.3 ms"),
     (4.56e-6, "4.56 µs"), (7e-9, "7 ns"), (3e-12, "0.003 ns")],
)  # fmt: skip
def test_format_seconds(seconds: float | None, text: str) -> None:
    assert regression.format_seconds(seconds) == text


def test_runs_as_a_script(files: dict[str, Path]) -> None:
    write_json(files["current"], pytest_benchmark_json({"bench_a.py::test_fast": 1.0}))
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--current", str(files["current"]),
         "--baseline", str(files["baseline"])],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "**REGRESSED**" in result.stdout


def _benchmark_functions() -> list[str]:
    """``bench_x.py::test_name`` for every benchmark function in benchmarks/bench_*.py."""
    names = []
    for path in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names += [
            f"benchmarks/{path.name}::{node.name}"
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        ]
    return names


def test_committed_baseline_covers_every_benchmark() -> None:
    baseline = regression.load_baseline(regression.DEFAULT_BASELINE)
    recorded = {name.split("[", 1)[0] for name in baseline.medians}
    uncovered = [name for name in _benchmark_functions() if name not in recorded]
    assert not uncovered, (
        f"no baseline for {uncovered}: run them with `pytest <their files> -o "
        "python_files='bench_*.py' --benchmark-only --benchmark-json=.benchmarks/latest.json`, "
        "then `python benchmarks/regression.py --update --keep-missing`"
    )
