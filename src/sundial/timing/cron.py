"""Cron: check an expression once, then list its fire times with ``cronsim``.

sundial's cron is 5-field Vixie/Debian cron (minute, hour, day-of-month, month, day-of-week)
plus the ``@hourly``-style nicknames, evaluated on the wall clock of the schedule's zone.
The fire times come from ``cronsim``, which reproduces Debian cron's DST behaviour; this module
adds only what cronsim leaves to its caller: the nicknames, refusing what Vixie cron would
refuse (a seconds field, Quartz's ``L W # ?``), messages that name the bad field, and the
guarantee that every time returned is strictly later than the one before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

from sundial.errors import InvalidScheduleError

__all__ = ["NICKNAMES", "cron_fire_times", "normalize_cron"]

# Vixie cron's nicknames. @annually and @midnight are its synonyms of @yearly and @daily.
NICKNAMES: dict[str, str] = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_RANGES = ("0-59", "0-23", "1-31", "1-12 or JAN-DEC", "0-7 or SUN-SAT (0 and 7 are Sunday)")
_NUMBER = r"\d+"
_NAME = r"[A-Za-z]{3}"
# One term of a list: "*", "N" or "N-M", optionally followed by "/STEP". Names are allowed only
# in the month and day-of-week fields, as in Vixie cron.
_TERM = {
    named: re.compile(rf"(\*|{v}(-{v})?)(/\d+)?")
    for named, v in ((False, _NUMBER), (True, f"(?:{_NUMBER}|{_NAME})"))
}
# Quartz extensions that cronsim partly accepts but Vixie cron and most native schedulers do not.
_QUARTZ = re.compile(r"[#?]|(^|[,\d])(L|W|LW)($|,)", re.IGNORECASE)
# A date on which every field alone can be probed; cronsim only needs some start instant.
_PROBE_AT = datetime(2000, 1, 1)


def normalize_cron(expression: str) -> str:
    """The 5-field form of ``expression`` (nicknames expanded, fields single-spaced).

    :raises InvalidScheduleError: the expression is not 5-field cron; the headline names the
        field that is wrong and what it accepts.
    """
    return _normalize(expression)


@lru_cache(maxsize=1024)
def _normalize(expression: str) -> str:
    shown = f"cron_expression {expression!r}"
    text = expression.strip()
    if not text:
        raise InvalidScheduleError(
            "cron_expression is empty",
            'write five fields "minute hour day-of-month month day-of-week", e.g. "5 14 * * 3"',
        )
    if text.startswith("@"):
        return _nickname(text, shown)

    parts = text.split()
    if len(parts) != 5:
        extra = (
            " (a seconds or year field is not cron: sundial fires at most once a minute)"
            if len(parts) in (6, 7)
            else ""
        )
        raise InvalidScheduleError(
            f"{shown} has {len(parts)} fields, cron has 5{extra}",
            'write "minute hour day-of-month month day-of-week", e.g. "5 14 * * 3", '
            "or a nickname: " + " ".join(sorted(set(NICKNAMES) - {"@annually", "@midnight"})),
        )
    for index, part in enumerate(parts):
        _check_field(index, part, shown)

    normalized = " ".join(parts)
    try:
        CronSim(normalized, _PROBE_AT)
    except CronSimError:
        # Every field is fine alone, so the fields contradict each other: cronsim refuses a
        # day-of-month that no listed month has (e.g. 30 in February) when it must match.
        raise InvalidScheduleError(
            f"{shown} never fires: day-of-month {parts[2]!r} does not occur in month {parts[3]!r}",
            "choose a day-of-month that the month has (February has 28 or 29 days, "
            "April, June, September and November have 30)",
        ) from None
    return normalized


def _nickname(text: str, shown: str) -> str:
    nickname = text.lower()
    if nickname in NICKNAMES:
        return NICKNAMES[nickname]
    if nickname == "@reboot":
        raise InvalidScheduleError(
            f"{shown}: @reboot is not a schedule sundial can keep",
            "to run once, use run_once_start_time=...; to run at a time of day, a cron "
            'expression such as "@daily"',
        )
    raise InvalidScheduleError(
        f"{shown} is not a cron nickname",
        "use one of @hourly @daily @weekly @monthly @yearly, or five cron fields",
    )


def _check_field(index: int, part: str, shown: str) -> None:
    name, accepts = _FIELDS[index], _RANGES[index]
    named = index >= 3
    headline = f"{shown}: the {name} field {part!r} is not valid ({name} takes {accepts})"
    fix = (
        f'write the {name} as a value in {accepts}, a range "a-b", a step "*/n" or "a-b/n", '
        'a list "a,b,c" of those, or "*"'
    )
    if not all(_TERM[named].fullmatch(t) for t in part.split(",")):
        if _QUARTZ.search(part):
            fix += "; Quartz's L, W, # and ? are not Vixie cron"
        raise InvalidScheduleError(headline, fix)
    # The syntax is right; the values and ranges are checked by cronsim itself, with every
    # other field a wildcard so that an error can only come from this one.
    probe = ["*"] * 5
    probe[index] = part
    try:
        CronSim(" ".join(probe), _PROBE_AT)
    except CronSimError:
        raise InvalidScheduleError(headline, fix) from None


def cron_fire_times(expression: str, zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """The fire times of ``expression`` on the wall clock of ``zone``, strictly after ``after``.

    ``after`` must be aware. The times come out oldest first as aware UTC datetimes. The
    iterator ends only when cronsim finds no match within 50 years or the calendar runs out.

    Why the filter on ``last``: for a job at a fixed wall-clock time, cronsim walks the naive
    wall clock, which forgets which pass through a fall-back hour ``after`` was in. Started in
    the second pass, it can return the first-pass instant, which is earlier than ``after``:
    Debian cron fired that time once already, so it is dropped, not repeated. The comparison
    is made in UTC because Python compares two datetimes of the same zone by wall clock,
    ignoring ``fold``, and would call 02:45 (first pass) later than 02:30 (second pass).
    """
    last = after.astimezone(UTC)
    try:
        local = after.astimezone(zone)
    except OverflowError:
        # ``after`` is within hours of an end of the calendar and has no wall time in ``zone``:
        # near year 1, start from the zone's first wall time; near year 9999, nothing is left.
        if after.year > 1:
            return
        local = datetime.min.replace(tzinfo=zone)
    iterator = CronSim(normalize_cron(expression), local)
    try:
        for fire in iterator:
            fire_utc = fire.astimezone(UTC)
            if fire_utc > last:
                last = fire_utc
                yield fire_utc
    except OverflowError:
        # cronsim steps past datetime.max near year 9999: the calendar has run out.
        return
