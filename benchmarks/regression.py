"""Compare a pytest-benchmark run with the saved baseline and fail on slowed medians.

    python benchmarks/regression.py                     # .benchmarks/latest.json vs baseline
    python benchmarks/regression.py --threshold 10%     # stricter gate
    python benchmarks/regression.py --update            # make the current run the baseline
    python benchmarks/regression.py --update --keep-missing   # add/refresh a subset only

Prints a markdown table (baseline median, current median, ratio, verdict) and exits
1 when any benchmark's median grew by more than the threshold (default 20 %), 0
otherwise, and 2 when an input file is missing or malformed. Benchmarks that the
baseline has but the run lacks (a ``-k`` subset, an opt-in benchmark) are listed
as missing and fail only with ``--fail-on-missing``; benchmarks new in the run are
listed and never fail. Medians are wall time, so they only compare on the same
kind of machine: the baseline records the CPU it was measured on and a run on
another CPU prints a warning.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CURRENT = ROOT / ".benchmarks" / "latest.json"
DEFAULT_BASELINE = ROOT / "benchmarks" / "baseline.json"
DEFAULT_THRESHOLD = 0.20
BASELINE_SCHEMA = "memory-benchmarks-baseline/1"

EXIT_OK = 0
EXIT_REGRESSED = 1
EXIT_BAD_INPUT = 2


class BenchmarkDataError(ValueError):
    """A benchmark or baseline file is missing, is not JSON, or lacks a required field."""


@dataclass(frozen=True, kw_only=True)
class Machine:
    """Where a run was measured; only ``cpu`` decides whether a warning is printed."""

    cpu: str
    cores: int | None = None
    python: str = ""
    system: str = ""


@dataclass(frozen=True, kw_only=True)
class Run:
    """Median seconds per benchmark (keyed by pytest ``fullname``) and the machine."""

    machine: Machine
    medians: Mapping[str, float]
    rounds: Mapping[str, int]


class Verdict(enum.Enum):
    OK = "ok"
    REGRESSED = "REGRESSED"
    MISSING = "missing"
    NEW = "new"


@dataclass(frozen=True, kw_only=True)
class Row:
    """One benchmark in the comparison; a median is None where that side lacks it."""

    name: str
    baseline: float | None
    current: float | None
    verdict: Verdict

    @property
    def ratio(self) -> float | None:
        """current / baseline, above 1 when the run got slower."""
        if self.baseline is None or self.current is None:
            return None
        return self.current / self.baseline


def _field(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise BenchmarkDataError(f"{where}: required field {key!r} is missing")
    return data[key]


def _median(value: Any, where: str) -> float:
    # bool is an int subclass; a true/false median is a corrupted file, not 1 s.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BenchmarkDataError(f"{where}: median must be a number, got {value!r}")
    median = float(value)
    if not math.isfinite(median) or median <= 0:
        raise BenchmarkDataError(f"{where}: median must be a positive finite number of seconds")
    return median


def _read_json(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchmarkDataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BenchmarkDataError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise BenchmarkDataError(f"{path}: expected a JSON object at the top level")
    return data


def load_pytest_benchmark(path: Path) -> Run:
    """Read the file written by ``pytest --benchmark-json``."""
    data = _read_json(path)
    where = str(path)
    entries = _field(data, "benchmarks", where)
    if not isinstance(entries, list):
        raise BenchmarkDataError(f"{where}: 'benchmarks' must be a list")
    medians: dict[str, float] = {}
    rounds: dict[str, int] = {}
    for index, entry in enumerate(entries):
        at = f"{where}: benchmarks[{index}]"
        if not isinstance(entry, dict):
            raise BenchmarkDataError(f"{at}: expected an object")
        name = entry.get("fullname") or _field(entry, "name", at)
        stats = _field(entry, "stats", at)
        if not isinstance(stats, dict):
            raise BenchmarkDataError(f"{at}: 'stats' must be an object")
        if name in medians:
            raise BenchmarkDataError(f"{at}: benchmark {name!r} appears twice")
        medians[str(name)] = _median(_field(stats, "median", at), f"{at} ({name})")
        rounds[str(name)] = int(stats.get("rounds", 0))
    info = data.get("machine_info", {})
    cpu_info = info.get("cpu", {}) if isinstance(info, dict) else {}
    machine = Machine(
        cpu=str(cpu_info.get("brand_raw") or info.get("processor") or "unknown"),
        cores=cpu_info.get("count"),
        python=str(info.get("python_version", "")),
        system=f"{info.get('system', '')} {info.get('machine', '')}".strip(),
    )
    return Run(machine=machine, medians=medians, rounds=rounds)


def load_baseline(path: Path) -> Run:
    """Read a baseline written by :func:`write_baseline`."""
    data = _read_json(path)
    where = str(path)
    schema = _field(data, "schema", where)
    if schema != BASELINE_SCHEMA:
        raise BenchmarkDataError(f"{where}: schema {schema!r} is not {BASELINE_SCHEMA!r}")
    entries = _field(data, "benchmarks", where)
    if not isinstance(entries, dict):
        raise BenchmarkDataError(f"{where}: 'benchmarks' must be an object keyed by name")
    medians: dict[str, float] = {}
    rounds: dict[str, int] = {}
    for name, entry in entries.items():
        at = f"{where}: benchmarks[{name!r}]"
        if not isinstance(entry, dict):
            raise BenchmarkDataError(f"{at}: expected an object")
        medians[name] = _median(_field(entry, "median_s", at), at)
        rounds[name] = int(entry.get("rounds", 0))
    raw_machine = _field(data, "machine", where)
    if not isinstance(raw_machine, dict):
        raise BenchmarkDataError(f"{where}: 'machine' must be an object")
    machine = Machine(
        cpu=str(_field(raw_machine, "cpu", f"{where}: machine")),
        cores=raw_machine.get("cores"),
        python=str(raw_machine.get("python", "")),
        system=str(raw_machine.get("system", "")),
    )
    return Run(machine=machine, medians=medians, rounds=rounds)


def write_baseline(run: Run, path: Path, source: str) -> None:
    """Write ``run`` as the new baseline (sorted, so diffs of the file stay readable)."""
    document = {
        "schema": BASELINE_SCHEMA,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": source,
        "machine": {
            "cpu": run.machine.cpu,
            "cores": run.machine.cores,
            "python": run.machine.python,
            "system": run.machine.system,
        },
        "benchmarks": {
            name: {"median_s": run.medians[name], "rounds": run.rounds.get(name, 0)}
            for name in sorted(run.medians)
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def merge_runs(old: Run, new: Run) -> Run:
    """``new``'s medians over ``old``'s; the machine is ``new``'s (warned when it differs)."""
    if old.machine.cpu != new.machine.cpu:
        _warn(
            f"kept entries were measured on {old.machine.cpu!r}, the new ones on "
            f"{new.machine.cpu!r}; the baseline records only the latter"
        )
    return Run(
        machine=new.machine,
        medians={**old.medians, **new.medians},
        rounds={**old.rounds, **new.rounds},
    )


def compare(baseline: Run, current: Run, threshold: float) -> list[Row]:
    """One row per benchmark in either run, baseline order first, then new ones."""
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    limit = 1.0 + threshold
    rows: list[Row] = []
    for name, base in baseline.medians.items():
        now = current.medians.get(name)
        if now is None:
            verdict = Verdict.MISSING
        elif now / base > limit:
            verdict = Verdict.REGRESSED
        else:
            verdict = Verdict.OK
        rows.append(Row(name=name, baseline=base, current=now, verdict=verdict))
    for name, now in current.medians.items():
        if name not in baseline.medians:
            rows.append(Row(name=name, baseline=None, current=now, verdict=Verdict.NEW))
    return rows


def format_seconds(seconds: float | None) -> str:
    """A duration in the largest unit that keeps it at or above 1, three significant digits."""
    if seconds is None:
        return "–"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def render_table(rows: Sequence[Row]) -> str:
    """The comparison as a markdown table."""
    lines = [
        "| benchmark | baseline median | current median | ratio | verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for row in rows:
        ratio = "–" if row.ratio is None else f"{row.ratio:.2f}×"
        verdict = row.verdict.value
        if row.verdict is Verdict.REGRESSED:
            verdict = f"**{verdict}**"
        lines.append(
            f"| {row.name} | {format_seconds(row.baseline)} | {format_seconds(row.current)} "
            f"| {ratio} | {verdict} |"
        )
    return "\n".join(lines)


def parse_threshold(text: str) -> float:
    """``0.2``, ``20%`` and ``20 %`` all mean a 20 % allowance."""
    cleaned = text.strip()
    try:
        value = (
            float(cleaned.rstrip("%").strip()) / 100 if cleaned.endswith("%") else float(cleaned)
        )
    except ValueError:
        raise argparse.ArgumentTypeError(f"threshold {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"threshold {text!r} must be a finite number >= 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Compare pytest-benchmark medians with the saved baseline."
    )
    parser.add_argument(
        "--current",
        type=Path,
        default=DEFAULT_CURRENT,
        help="pytest --benchmark-json output (default: .benchmarks/latest.json)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=DEFAULT_BASELINE,
        help="saved baseline (default: benchmarks/baseline.json)",
    )
    parser.add_argument(
        "--threshold",
        type=parse_threshold,
        default=DEFAULT_THRESHOLD,
        help="allowed growth of a median, as a fraction or percent (default: 20%%)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="rewrite the baseline from the current run instead of gating on it",
    )
    parser.add_argument(
        "--fail-on-missing",
        action="store_true",
        help="also fail when a baseline benchmark is absent from the current run",
    )
    parser.add_argument(
        "--keep-missing",
        action="store_true",
        help="with --update: keep baseline entries the current run lacks (a -k subset)",
    )
    return parser


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; the return value is the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        current = load_pytest_benchmark(args.current)
        if args.update:
            if args.keep_missing and args.baseline.exists():
                current = merge_runs(load_baseline(args.baseline), current)
            write_baseline(current, args.baseline, source=args.current.name)
            print(f"baseline {args.baseline} rewritten: {len(current.medians)} benchmarks")
            return EXIT_OK
        baseline = load_baseline(args.baseline)
    except BenchmarkDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    if baseline.machine.cpu != current.machine.cpu:
        _warn(
            f"baseline was measured on {baseline.machine.cpu!r}, this run on "
            f"{current.machine.cpu!r}: ratios compare different machines"
        )
    rows = compare(baseline, current, args.threshold)
    print(render_table(rows))
    print()
    regressed = [row for row in rows if row.verdict is Verdict.REGRESSED]
    missing = [row for row in rows if row.verdict is Verdict.MISSING]
    new = [row for row in rows if row.verdict is Verdict.NEW]
    if new:
        _warn(f"{len(new)} benchmark(s) have no baseline; run with --update to record them")
    if missing:
        _warn(
            f"{len(missing)} baseline benchmark(s) did not run: "
            + ", ".join(r.name for r in missing)
        )
    allowed = f"{args.threshold:.0%}"
    if regressed:
        print(f"FAILED: {len(regressed)} median(s) regressed by more than {allowed}:")
        for row in regressed:
            print(f"  {row.name}: {row.ratio:.2f}× the baseline")
        return EXIT_REGRESSED
    if missing and args.fail_on_missing:
        print(f"FAILED: {len(missing)} baseline benchmark(s) missing from the run")
        return EXIT_REGRESSED
    compared = sum(1 for row in rows if row.verdict is Verdict.OK)
    print(f"OK: {compared} median(s) within {allowed} of the baseline")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
