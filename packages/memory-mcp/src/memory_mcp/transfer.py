"""Export and import episodes as JSON Lines, losslessly and in constant memory.

File format (version 1), UTF-8, one JSON value per line:

- line 1, the header: ``{"format": "self-learning-memory/episodes", "version": 1,
  "record_schema_version": 1, "exported_at": "...", "generator": "memory-mcp 0.1.0"}``;
- every further line: one completed :class:`~memory_core.Episode`, exactly as
  :func:`memory_core.codec.encode_json` writes it. Blank lines are ignored.

Episodes round-trip exactly: importing an export into a fresh store gives records whose
msgpack encodings equal the source's. Only completed episodes are exported (an in-progress
episode cannot be imported: :meth:`SelfLearningMemory.import_episodes` takes completed ones);
the export report counts those left out. Patterns and heuristics are not exported: the
importing memory learns them again from the episodes (pattern ids are derived from their
content, so they come out the same), but feedback history is not carried over.

Import rules:

- **Checked first, written second.** The whole file is read and every line validated
  (decoding, limits, completed) before anything is written, so a bad line anywhere raises
  :class:`TransferError` naming its line number and the store is untouched. Reading twice
  keeps memory constant; a file that changes between the passes is read again as it is.
- **Batches.** Episodes are then written in batches; each batch's episode rows are stored
  atomically. A storage failure part-way leaves the batches before it imported (re-running
  the import with the default duplicate rule finishes the job).
- **Duplicates** (an id already in the store, or repeated in the file): ``"skip"`` (default)
  keeps the stored episode, so the first occurrence wins and re-importing a file is a no-op;
  ``"replace"`` deletes the stored episode (and what was learned from it) and imports the new
  one, so the last occurrence wins; an identical episode is left alone under both rules.
  The delete and the re-import are two steps: a storage failure between them loses the
  stored version, which the file still holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Literal

import anyio
import anyio.to_thread
import msgspec

from memory_core import Episode, Limits, SelfLearningMemory
from memory_core.codec import decode_episode_json, encode_json, encode_msgpack
from memory_core.errors import ValidationError
from memory_core.models import RECORD_SCHEMA_VERSION
from memory_core.validation import validate_episode

from ._version import __version__
from .errors import MemoryMcpError

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "CheckedExport",
    "DuplicatePolicy",
    "ExportHeader",
    "ExportReport",
    "ImportReport",
    "ProgressCallback",
    "TransferError",
    "TransferProgress",
    "check_jsonl",
    "export_jsonl",
    "import_jsonl",
]

#: The ``format`` field of every export header.
EXPORT_FORMAT = "self-learning-memory/episodes"
#: The newest file format version this code writes and reads.
EXPORT_VERSION = 1

DuplicatePolicy = Literal["skip", "replace"]
_DUPLICATE_POLICIES = ("skip", "replace")
_DEFAULT_BATCH = 500
# JSON can be larger than the msgpack record the size limit applies to (escaped quotes and
# backslashes take two bytes); a line longer than this cannot hold a storable episode.
_JSON_OVERHEAD = 3
_GENERATOR = f"memory-mcp {__version__}"


class TransferError(MemoryMcpError, ValidationError):
    """Raised by :func:`import_jsonl` when an export file is malformed or holds an invalid episode.

    ``line`` is the 1-based line number (0 when the problem is not a single line).
    Nothing has been written when it is raised.
    """

    def __init__(self, line: int, message: str, *, field: str | None = None) -> None:
        prefix = f"line {line}: " if line else ""
        super().__init__(prefix + message, field=field)
        self.line = line


class ExportHeader(msgspec.Struct, frozen=True, kw_only=True):
    """The first line of an export file."""

    format: str
    version: int
    record_schema_version: int = RECORD_SCHEMA_VERSION
    exported_at: datetime | None = None
    generator: str | None = None


class TransferProgress(msgspec.Struct, frozen=True, kw_only=True):
    """Where a transfer is: ``phase`` is ``"export"``, ``"check"`` or ``"import"``.

    ``done`` and ``total`` count episodes, except in the ``"check"`` phase, where they
    count bytes of the file (the number of episodes is only known at its end).
    """

    phase: Literal["export", "check", "import"]
    done: int
    total: int


ProgressCallback = Callable[[TransferProgress], None]


class ExportReport(msgspec.Struct, frozen=True, kw_only=True):
    """What :func:`export_jsonl` wrote."""

    episodes: int
    in_progress_skipped: int


class ImportReport(msgspec.Struct, frozen=True, kw_only=True):
    """What :func:`import_jsonl` did: every episode line is counted in exactly one of
    ``imported`` (new), ``replaced`` (overwrote a different stored episode) and ``skipped``
    (kept the stored one, or identical to it)."""

    episodes: int
    imported: int
    replaced: int
    skipped: int


_header_decoder = msgspec.json.Decoder(ExportHeader)


def _check_batch_size(batch_size: int) -> None:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValidationError(
            f"batch_size: must be a positive integer, got {batch_size!r}", field="batch_size"
        )


# Export -------------------------------------------------------------------------------
async def export_jsonl(
    memory: SelfLearningMemory,
    out: IO[bytes],
    *,
    progress: ProgressCallback | None = None,
    batch_size: int = _DEFAULT_BATCH,
) -> ExportReport:
    """Write every completed episode of ``memory`` to ``out`` as JSON Lines, oldest first.

    Streams in batches of ``batch_size``; file writes run in a worker thread.
    """
    _check_batch_size(batch_size)
    storage = memory.storage
    total = await storage.count_episodes(completed=True)
    in_progress = await storage.count_episodes(completed=False)
    header = ExportHeader(
        format=EXPORT_FORMAT,
        version=EXPORT_VERSION,
        record_schema_version=RECORD_SCHEMA_VERSION,
        exported_at=datetime.now(UTC),
        generator=_GENERATOR,
    )
    await anyio.to_thread.run_sync(out.write, encode_json(header) + b"\n")
    written = 0
    async for batch in storage.iter_episodes(completed=True, batch_size=batch_size):
        chunk = b"".join(encode_json(episode) + b"\n" for episode in batch)
        await anyio.to_thread.run_sync(out.write, chunk)
        written += len(batch)
        if progress is not None:
            progress(TransferProgress(phase="export", done=written, total=max(total, written)))
    await anyio.to_thread.run_sync(out.flush)
    return ExportReport(episodes=written, in_progress_skipped=in_progress)


# Import -------------------------------------------------------------------------------
def _read_lines(source: IO[bytes], count: int, max_bytes: int) -> list[bytes]:
    """Up to ``count`` lines; a line over ``max_bytes`` comes back cut, still too long."""
    lines = []
    for _ in range(count):
        line = source.readline(max_bytes + 2)
        if not line:
            break
        lines.append(line)
    return lines


def _check_header(line: bytes) -> ExportHeader:
    try:
        header = _header_decoder.decode(line)
    except msgspec.DecodeError as exc:
        raise TransferError(
            1,
            f"not a memory export header ({exc}); expected a JSON object with "
            f'"format": "{EXPORT_FORMAT}"',
            field="header",
        ) from None
    if header.format != EXPORT_FORMAT:
        raise TransferError(
            1, f"format is {header.format!r}, expected {EXPORT_FORMAT!r}", field="header.format"
        )
    if header.version > EXPORT_VERSION or header.version < 1:
        raise TransferError(
            1,
            f"file format version {header.version} is not supported (this code reads 1 to "
            f"{EXPORT_VERSION}); upgrade memory-mcp to import it",
            field="header.version",
        )
    if header.record_schema_version > RECORD_SCHEMA_VERSION:
        raise TransferError(
            1,
            f"episodes have record schema version {header.record_schema_version}, newer than "
            f"the supported {RECORD_SCHEMA_VERSION}; upgrade memory-core to import them",
            field="header.record_schema_version",
        )
    return header


class _LineReader:
    """Numbered episodes from an export file, ``batch`` lines at a time.

    With ``validate`` every episode is also checked against ``limits`` and must be
    completed; without, lines are only decoded (for the second pass, whose episodes
    :meth:`SelfLearningMemory.import_episodes` validates anyway).
    """

    def __init__(self, limits: Limits, source: IO[bytes], batch: int, *, validate: bool) -> None:
        self._limits = limits
        self._validate = validate
        self._source = source
        self._batch = batch
        self._max_line = self._limits.max_episode_bytes * _JSON_OVERHEAD
        self.line = 0
        self.bytes_read = 0

    async def header(self) -> ExportHeader:
        lines = await anyio.to_thread.run_sync(_read_lines, self._source, 1, self._max_line)
        if not lines or not lines[0].strip():
            raise TransferError(1, "the file is empty; expected an export header", field="header")
        self.line, self.bytes_read = 1, len(lines[0])
        return _check_header(lines[0])

    async def next_batch(self) -> list[Episode] | None:
        """The episodes of the next ``batch`` lines (blank lines skipped); None at the end."""
        lines = await anyio.to_thread.run_sync(
            _read_lines, self._source, self._batch, self._max_line
        )
        episodes = []
        for raw in lines:
            self.line += 1
            self.bytes_read += len(raw)
            if len(raw.rstrip(b"\r\n")) > self._max_line:
                raise TransferError(
                    self.line,
                    f"line is longer than {self._max_line} bytes, so it cannot hold an "
                    f"episode within the {self._limits.max_episode_bytes}-byte limit",
                )
            if raw.strip():
                episodes.append(self._episode(raw))
        return episodes if lines else None

    def _episode(self, raw: bytes) -> Episode:
        try:
            episode = decode_episode_json(raw)
            if not self._validate:
                return episode
            episode = validate_episode(episode, self._limits)
        except ValidationError as exc:
            raise TransferError(self.line, str(exc), field=exc.field) from None
        if episode.outcome is None:
            raise TransferError(
                self.line,
                f"episode {episode.id} is in progress; only completed episodes can be imported",
                field="episode.outcome",
            )
        return episode


def _unique(episodes: list[Episode], policy: DuplicatePolicy) -> list[Episode]:
    """One episode per id: the first occurrence under "skip", the last under "replace"."""
    by_id: dict[object, Episode] = {}
    for episode in episodes:
        if policy == "replace" or episode.id not in by_id:
            by_id[episode.id] = episode
    return list(by_id.values())


class CheckedExport(msgspec.Struct, frozen=True, kw_only=True):
    """A file :func:`check_jsonl` found sound: its header and number of episode lines."""

    header: ExportHeader
    episodes: int


async def _file_size(source: IO[bytes]) -> int:
    if not source.seekable():
        raise ValidationError("source: must be seekable (the file is read twice)", field="source")
    size = await anyio.to_thread.run_sync(source.seek, 0, 2)
    await anyio.to_thread.run_sync(source.seek, 0)
    return size


async def check_jsonl(
    source: IO[bytes],
    limits: Limits,
    *,
    progress: ProgressCallback | None = None,
    batch_size: int = _DEFAULT_BATCH,
) -> CheckedExport:
    """Read a whole export file and validate every line against ``limits``; write nothing.

    Raises :class:`TransferError` naming the first bad line. Leaves ``source`` at its end.
    """
    _check_batch_size(batch_size)
    size = await _file_size(source)
    reader = _LineReader(limits, source, batch_size, validate=True)
    header = await reader.header()
    total = 0
    while (batch := await reader.next_batch()) is not None:
        total += len(batch)
        if progress is not None:
            progress(TransferProgress(phase="check", done=reader.bytes_read, total=size))
    return CheckedExport(header=header, episodes=total)


async def import_jsonl(
    memory: SelfLearningMemory,
    source: IO[bytes],
    *,
    on_duplicate: DuplicatePolicy = "skip",
    learn: bool = True,
    progress: ProgressCallback | None = None,
    batch_size: int = _DEFAULT_BATCH,
    checked: CheckedExport | None = None,
) -> ImportReport:
    """Import an export file (opened in binary mode, seekable) into ``memory``.

    See the module docstring for the checking pass, batches and the duplicate rules.
    ``checked`` is the result of :func:`check_jsonl` on this same, unchanged file, to skip
    checking it again. With ``learn=False`` patterns are learned the next time a memory
    opens the store (or by :meth:`SelfLearningMemory.relearn`). Raises
    :class:`TransferError` for a bad file (nothing written) and the storage's errors if
    writing fails.
    """
    if on_duplicate not in _DUPLICATE_POLICIES:
        raise ValidationError(
            f"on_duplicate: must be one of {_DUPLICATE_POLICIES}, got {on_duplicate!r}",
            field="on_duplicate",
        )
    limits = memory.config.limits
    if checked is None:
        checked = await check_jsonl(source, limits, progress=progress, batch_size=batch_size)
    await _file_size(source)  # back to the start
    reader = _LineReader(limits, source, batch_size, validate=False)
    await reader.header()
    done = imported = replaced = 0
    while (episodes := await reader.next_batch()) is not None:
        unique = _unique(episodes, on_duplicate)
        stored = {e.id: e for e in await memory.storage.get_episodes([e.id for e in unique])}
        fresh: list[Episode] = []
        for episode in unique:
            existing = stored.get(episode.id)
            if existing is None:
                fresh.append(episode)
            elif on_duplicate == "replace" and encode_msgpack(existing) != encode_msgpack(episode):
                await memory.delete_episode(episode.id)
                fresh.append(episode)
                replaced += 1
        if fresh:
            await memory.import_episodes(fresh, learn=learn)
        imported += len(fresh)
        done += len(episodes)
        if progress is not None:
            progress(TransferProgress(phase="import", done=done, total=checked.episodes))
    return ImportReport(
        episodes=done, imported=imported - replaced, replaced=replaced, skipped=done - imported
    )
