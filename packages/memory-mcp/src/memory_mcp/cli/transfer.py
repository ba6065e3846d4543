"""``memory export`` and ``memory import`` of JSON Lines (format: :mod:`memory_mcp.transfer`)."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import msgspec

from ..transfer import (
    ExportReport,
    ProgressCallback,
    TransferProgress,
    check_jsonl,
    export_jsonl,
    import_jsonl,
)
from .invocation import Invocation
from .progress import ProgressBar

__all__ = ["register"]

_LABELS = {"export": "exporting", "check": "checking", "import": "importing"}


def _show(bar: ProgressBar) -> ProgressCallback:
    def callback(progress: TransferProgress) -> None:
        unit = "bytes" if progress.phase == "check" else ""
        bar.update(_LABELS[progress.phase], progress.done, progress.total, unit=unit)

    return callback


@contextlib.contextmanager
def _atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """A file that appears at ``path`` only when the block succeeds (never half-written)."""
    if path.is_dir():
        raise IsADirectoryError(21, "is a directory", str(path))
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        with partial.open("wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


async def _export(run: Invocation) -> None:
    target: str | None = run.args.output
    bar = run.progress()
    try:
        async with run.memory() as memory:
            if target is None or target == "-":
                report = await export_jsonl(memory, sys.stdout.buffer, progress=_show(bar))
            else:
                with _atomic_output(Path(target)) as out:
                    report = await export_jsonl(memory, out, progress=_show(bar))
    finally:
        bar.close()
    where = "stdout" if target in (None, "-") else target
    message = f"exported {report.episodes} episodes to {where}"
    if report.in_progress_skipped:
        message += f" ({report.in_progress_skipped} in-progress episodes left out)"
    if where == "stdout":
        run.output.note(message)  # stdout holds the export itself
    else:
        run.output.result(_with_path(report, where), lambda: message)


def _with_path(report: ExportReport, path: str) -> dict[str, object]:
    return {**msgspec.structs.asdict(report), "path": path}


@contextlib.contextmanager
def _seekable_input(name: str) -> Iterator[IO[bytes]]:
    """The file ``name`` opened for reading; stdin (``-``) is spooled to a temporary file."""
    if name != "-":
        with Path(name).open("rb") as source:
            yield source
        return
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)
        spool.seek(0)
        yield spool


async def _import(run: Invocation) -> None:
    args = run.args
    bar = run.progress()
    try:
        with _seekable_input(args.file) as source:
            # Checked before the store is opened: a bad file must not even create a store.
            limits = run.settings.memory_config().limits
            checked = await check_jsonl(source, limits, progress=_show(bar))
            async with run.memory(create=True) as memory:
                report = await import_jsonl(
                    memory,
                    source,
                    on_duplicate=args.on_duplicate,
                    learn=not args.no_learn,
                    progress=_show(bar),
                    checked=checked,
                )
    finally:
        bar.close()
    run.output.result(
        report,
        lambda: (
            f"imported {report.imported} new episodes from {args.file} "
            f"({report.replaced} replaced, {report.skipped} skipped as already present)"
        ),
    )


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parent: argparse.ArgumentParser,
) -> None:
    """Add ``export`` and ``import``."""
    export = commands.add_parser(
        "export", parents=[parent], help="write every completed episode as JSON Lines"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    export.set_defaults(handler=_export)

    load = commands.add_parser(
        "import", parents=[parent], help="import a JSON Lines export (checked first, all lines)"
    )
    load.add_argument("file", metavar="FILE", help="export file, or - for stdin")
    load.add_argument(
        "--on-duplicate",
        choices=["skip", "replace"],
        default="skip",
        help="an episode id already stored: keep it (skip, default) or replace it",
    )
    load.add_argument(
        "--no-learn",
        action="store_true",
        help="store only; patterns are learned the next time the store is opened",
    )
    load.set_defaults(handler=_import)
