"""Capture what a step prints and logs, while still showing it on the console."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class _Tee(io.TextIOBase):
    def __init__(self, original: TextIO, buffer: io.StringIO) -> None:
        self._original = original
        self._buffer = buffer

    def write(self, text: str) -> int:
        self._buffer.write(text)
        return self._original.write(text)

    def flush(self) -> None:
        self._original.flush()

    def isatty(self) -> bool:
        return self._original.isatty()


@contextmanager
def capture_logs(echo: bool = True) -> Iterator[io.StringIO]:
    """Collect stdout, stderr and log records (of every logger) into one text buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_out, old_err = sys.stdout, sys.stderr
    # Python's root logger passes only WARNING and above; a step's `log.info(...)` is part
    # of what it says (docs/pipelines.md), so INFO is let through while the step runs.
    old_level = root.level
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)
    root.addHandler(handler)
    sys.stdout = _Tee(old_out, buffer) if echo else buffer
    sys.stderr = _Tee(old_err, buffer) if echo else buffer
    try:
        yield buffer
    finally:
        sys.stdout, sys.stderr = old_out, old_err
        root.removeHandler(handler)
        root.setLevel(old_level)
