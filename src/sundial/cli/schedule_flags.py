"""The schedule flags, written once: ``sundial deploy``, ``sundial schedule preview`` and
``sundial schedule update`` all take them from here.

``@schedule_flags`` adds ``--cron``, ``--interval``, ``--once``, ``--start``, ``--end``,
``--tz``, ``--catchup/--no-catchup``, ``--overlap``, ``--max-active-runs``,
``--catchup-window``, ``--jitter`` and ``--max-runs`` to a command and hands it a
:class:`ScheduleFlags`. A flag that is not given is not passed to ``Schedule(...)``, so it stays
a default (which a backend may replace by its nearest behaviour) rather than a demand. The flag
names are those of ``orchestrators/wording.py``, in which refusals name their fixes.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from sundial.errors import InvalidScheduleError
from sundial.orchestrators.wording import FLAGS

if TYPE_CHECKING:
    from sundial.definition.schedule import Schedule

__all__ = ["ScheduleFlags", "in_flags", "schedule_flags"]

F = TypeVar("F", bound=Callable[..., Any])

_DURATION = "30m, 1h30m, 2d, 45s or seconds"
#: Schedule field → (Python type of the flag's value, help). The flag itself is FLAGS[field].
_SPEC: dict[str, tuple[Any, str]] = {
    "cron_expression": (str | None, 'cron expression, e.g. "5 14 * * 3"'),
    "interval_second": (str | None, f"interval between runs: {_DURATION}"),
    "run_once_start_time": (str | None, "run once at this ISO-8601 time"),
    "start_time": (str | None, "start_time, ISO-8601 (inclusive; the interval's anchor)"),
    "end_time": (str | None, "end_time, ISO-8601 (inclusive)"),
    "timezone": (str | None, "IANA time zone (default: this machine's)"),
    "catchup": (bool | None, "run every missed tick (--catchup) or only the latest"),
    "overlap": (str | None, "when runs are still active: queue, skip, replace or allow"),
    "max_active_runs": (int | None, "runs of the schedule at once"),
    "catchup_window": (str | None, f"with --catchup, skip ticks older than this: {_DURATION}"),
    "jitter": (str | None, f"start each run up to this much after its tick: {_DURATION}"),
    "max_runs": (int | None, "complete the schedule after this many runs"),
}


@dataclass(frozen=True)
class ScheduleFlags:
    """The schedule flags a command was given (``None``: not given)."""

    given: dict[str, Any]

    def fields(self) -> dict[str, Any]:
        """The given flags as ``Schedule`` fields, parsed (durations, times)."""
        from sundial.durations import parse_duration

        out: dict[str, Any] = {}
        for field, value in self.given.items():
            if value is None:
                continue
            flag = FLAGS[field]
            if field in ("interval_second", "catchup_window", "jitter"):
                out[field] = parse_duration(str(value), what=flag)
            elif field in ("run_once_start_time", "start_time", "end_time"):
                out[field] = parse_time(flag, str(value))
            else:
                out[field] = value
        return out

    @property
    def has_kind(self) -> bool:
        return any(self.given.get(f) is not None
                   for f in ("cron_expression", "interval_second", "run_once_start_time"))

    def schedule(self, **extra: Any) -> Schedule:
        """``Schedule(**given flags, **extra)``; a bad combination names the flags."""
        from pydantic import ValidationError

        from sundial.definition.schedule import Schedule, as_schedule_error

        try:
            return Schedule(**self.fields(), **extra)
        except ValidationError as err:
            raise in_flags(as_schedule_error(err)) from None


def parse_time(flag: str, text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidScheduleError(
            f"{flag} {text!r} is not an ISO-8601 date and time",
            f"write {flag} like 2026-11-25T14:05:00 (wall clock in --tz) "
            "or 2026-11-25T14:05:00+01:00") from None


def schedule_flags(func: F) -> F:
    """Add the schedule flags to a Typer command whose function takes ``flags:
    ScheduleFlags`` (keyword)."""
    signature = inspect.signature(func, eval_str=True)  # Typer reads the objects
    kept = [p for p in signature.parameters.values() if p.name != "flags"]
    added = []
    for field, (kind, help_text) in _SPEC.items():
        flag = FLAGS[field]
        option = typer.Option(f"{flag}/--no-{flag[2:]}" if kind == bool | None else flag,
                              help=help_text, show_default=False)
        added.append(inspect.Parameter(f"schedule_{field}", inspect.Parameter.KEYWORD_ONLY,
                                       default=None, annotation=Annotated[kind, option]))

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {field: kwargs.pop(f"schedule_{field}", None) for field in _SPEC}
        return func(*args, flags=ScheduleFlags(given), **kwargs)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*kept, *added])
    wrapper.__annotations__ = {**{k: v for k, v in func.__annotations__.items()
                                  if k != "flags"},
                               **{p.name: p.annotation for p in added}}
    return wrapper  # type: ignore[return-value]



_UNITS = {"seconds": "s", "minutes": "m", "hours": "h", "days": "d"}
# Schedule's fixes are written for Python (``interval_second=timedelta(minutes=30)``); these
# rewrite them into the flags a CLI user types, most specific first.
_PYTHON_TO_FLAGS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\b(\w+)=timedelta\((\w+)=(\d+)\)"),
     lambda m: f"{FLAGS.get(m[1], m[1])} {m[3]}{_UNITS.get(m[2], ' ' + m[2])}"),
    (re.compile(r"\bcatchup=(True|False)"),
     lambda m: "--catchup" if m[1] == "True" else "--no-catchup"),
    (re.compile(r"\b(\w+)=<datetime>"), lambda m: f"{FLAGS.get(m[1], m[1])} <ISO time>"),
    (re.compile(r"\b(\w+)=(\"[^\"]*\"|[\w.]+)"),
     lambda m: f"{FLAGS[m[1]]} {m[2]}" if m[1] in FLAGS else m[0]),
    # Bare field names ("later than start_time"); not "name", an ordinary word too.
    (re.compile(r"\b(" + "|".join(f for f in FLAGS if f != "name") + r")\b"),
     lambda m: FLAGS[m[1]]),
]


def in_flags(err: InvalidScheduleError) -> InvalidScheduleError:
    """``err`` (a Schedule's refusal of values given as flags) with its fix in flags too."""
    if err.cli_fix is None and err.fix:
        fix = err.fix
        for pattern, flags in _PYTHON_TO_FLAGS:
            fix = pattern.sub(flags, fix)
        err.cli_fix = fix
    return err
