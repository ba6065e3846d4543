"""What commands print: text for people, JSON for scripts (``--json``), notes on stderr."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from memory_core.codec import encode_json

__all__ = ["Output", "shorten"]


def shorten(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


class Output:
    """Writes a command's result to stdout (as text or JSON) and notes to stderr.

    Args:
        stdout: where results go.
        stderr: where notes, warnings and the progress bar go.
        json_mode: print results as JSON (one document per command) instead of text.
        quiet: drop notes (results and errors are still printed).
    """

    def __init__(self, stdout: TextIO, stderr: TextIO, *, json_mode: bool, quiet: bool) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.json_mode = json_mode
        self.quiet = quiet

    def result(self, value: Any, text: Callable[[], str]) -> None:
        """Print ``value`` as JSON in JSON mode, else the text ``text()`` renders."""
        if self.json_mode:
            self.stdout.write(encode_json(value).decode() + "\n")
        else:
            rendered = text()
            if rendered:
                self.stdout.write(rendered.rstrip("\n") + "\n")
        self.stdout.flush()

    def note(self, message: str) -> None:
        """A line for people on stderr (not with ``--quiet``)."""
        if not self.quiet:
            self.stderr.write(message + "\n")
            self.stderr.flush()

    def error(self, message: str) -> None:
        """The one-line error message of a failed command."""
        self.stderr.write(f"memory: error: {' '.join(message.split())}\n")
        self.stderr.flush()
