"""The scheduler's log: readable lines for a terminal or a journal, or JSON for log shippers.

Every record may carry ``extra={"sundial": {...}}`` (a run's outcome, a tick); the JSON format
puts those fields at the top level of the object so that a shipper can index them.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, and the record's sundial fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(getattr(record, "sundial", None) or {})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def setup_logging(*, verbose: bool, log_format: str) -> None:
    """Send sundial's log to stderr: rich lines on a terminal, plain lines elsewhere (a
    journal, a file), or JSON. ``verbose`` adds the debug lines (a run's steps)."""
    from sundial.errors import SundialError

    if log_format not in FORMATS:
        raise SundialError(f"--log-format {log_format!r} is not a log format",
                           f"use one of: {', '.join(FORMATS)}")
    handler: logging.Handler
    if log_format == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    elif sys.stderr.isatty():
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(console=Console(stderr=True), show_path=False,
                              rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:  # no wrapping at 80 columns, no colour codes: one line per event
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("sundial").setLevel(logging.DEBUG if verbose else logging.INFO)
