"""Fixes in the language of the call: keyword arguments for Python, flags for the CLI.

A refusal names field changes (``{"catchup": True}``); this module writes them either way, so a
user who typed ``--cron`` is told ``--catchup``, and one who wrote ``Schedule(...)`` is told
``catchup=True``. The flag names are the shared schedule flags of ``sundial deploy``,
``sundial schedule preview`` and ``sundial schedule update``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

__all__ = ["FLAGS", "Language", "flag_for", "render_changes", "sundial_mode_hint"]

Language = Literal["python", "cli"]

#: Schedule field → its CLI flag (the one table the schedule-flags helper is built from).
FLAGS: dict[str, str] = {
    "name": "--name",
    "cron_expression": "--cron",
    "interval_second": "--interval",
    "run_once_start_time": "--once",
    "start_time": "--start",
    "end_time": "--end",
    "timezone": "--tz",
    "catchup": "--catchup",
    "overlap": "--overlap",
    "max_active_runs": "--max-active-runs",
    "catchup_window": "--catchup-window",
    "jitter": "--jitter",
    "max_runs": "--max-runs",
}


def flag_for(field: str, value: Any) -> str:
    """One field change as CLI flags (``catchup=False`` → ``--no-catchup``)."""
    flag = FLAGS.get(field, "--" + field.replace("_", "-"))
    if isinstance(value, bool):
        return flag if value else "--no-" + flag[2:]
    if value is None:
        return f"(leave out {flag})"
    if isinstance(value, timedelta):
        return f"{flag} {value.total_seconds():g}"
    if isinstance(value, datetime):
        return f"{flag} {value.isoformat()}"
    text = str(value)
    return f"{flag} {text!r}" if " " in text else f"{flag} {text}"


def _kwarg(field: str, value: Any) -> str:
    if isinstance(value, datetime):
        return f"{field}=datetime.fromisoformat({value.isoformat()!r})"
    if isinstance(value, timedelta):
        return f"{field}={value.total_seconds():g}"
    return f"{field}={value!r}"


def render_changes(changes: Mapping[str, Any], language: Language) -> str:
    """``{"catchup": True}`` → ``set catchup=True`` / ``pass --catchup``."""
    if language == "cli":
        return "pass " + " ".join(flag_for(f, v) for f, v in changes.items())
    return "set " + ", ".join(_kwarg(f, v) for f, v in changes.items())


def sundial_mode_hint(language: Language) -> str:
    """How to let sundial's scheduler fire the ticks and submit each run to the platform."""
    if language == "cli":
        return ("or pass --sundial-mode: sundial's scheduler fires every tick and submits each "
                "run to the platform")
    return ('or use sundial mode (schedule_mode="sundial"): sundial\'s scheduler fires every '
            "tick and submits each run to the platform")
