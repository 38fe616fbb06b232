"""A small progress bar for the admin command line, written to stderr."""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    """``plates  120/388 [#########...................]``.

    On a terminal the line is redrawn in place; elsewhere (a log, a pipe) one line is written
    per tenth of the way, so logs stay short.
    """

    def __init__(self, total: int, label: str = "plates", stream: TextIO | None = None, width: int = 30) -> None:
        self.total = max(total, 0)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.done = 0
        self._interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_tenth = -1
        self._closed = False

    def line(self) -> str:
        filled = self.width if self.total == 0 else self.width * self.done // self.total
        digits = len(str(self.total))
        return f"{self.label}  {self.done:>{digits}}/{self.total} [{'#' * filled}{'.' * (self.width - filled)}]"

    def advance(self, steps: int = 1) -> None:
        self.done = min(self.done + steps, self.total)
        self._draw()

    def _draw(self) -> None:
        if self._interactive:
            self.stream.write("\r" + self.line())
            self.stream.flush()
            return
        tenth = 10 if self.total == 0 else 10 * self.done // self.total
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._interactive:
            self.stream.write("\r" + self.line() + "\n")
            self.stream.flush()
        elif self._last_tenth != 10:
            self._last_tenth = 10
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def __enter__(self) -> ProgressBar:
        self._draw()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
