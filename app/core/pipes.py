"""Standard output that a reader may close early (``badges … | head -1``) without an error.

When the reader of a pipe goes away, the next write raises ``BrokenPipeError``; click turned
that into a silent exit 1 *before* the command finished (``badges serve | head -1`` never
served), and Python's final flush of stdout at exit prints ``Exception ignored … BrokenPipeError``.
Output of the ``badges`` command is informational: once nobody reads it, it is dropped (stdout
pointed at ``os.devnull``, as https://docs.python.org/3/library/signal.html#note-on-sigpipe
recommends) and the command carries on to its normal end and exit status.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO


class QuietPipe:
    """A proxy of a text stream whose writes and flushes ignore a closed reader."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def _drop(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._drop()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._drop()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def quiet_broken_stdout() -> None:
    """Wrap ``sys.stdout`` in :class:`QuietPipe` (once)."""
    if not isinstance(sys.stdout, QuietPipe) and sys.stdout is not None:
        sys.stdout = QuietPipe(sys.stdout)
