"""The progress bar the day draws on stderr while it plays."""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """A plain-text progress bar on a stream; redrawn in place on a terminal, sparse lines elsewhere."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._tty = bool(stream is not None and stream.isatty())
        self._last_line = ""
        self._last_print = 0.0

    def _emit(self, line: str, *, force: bool = False) -> None:
        if self._stream is None or line == self._last_line:
            return
        now = time.monotonic()
        if self._tty:
            self._stream.write("\r" + line.ljust(len(self._last_line)))
        elif force or now - self._last_print >= 5.0:
            self._stream.write(line + "\n")
        else:
            return
        self._stream.flush()
        self._last_line, self._last_print = line, now

    def bar(self, done: int, total: int, label: str) -> None:
        filled = self.WIDTH * done // total if total else self.WIDTH
        self._emit(f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} {label}", force=done == total)

    def note(self, line: str) -> None:
        self._emit(line)

    def done(self, line: str) -> None:
        self._emit(line, force=True)
        if self._stream is not None and self._tty:
            self._stream.write("\n")
            self._stream.flush()
        self._last_line = ""
