"""Cron expressions: check one, and turn it into the sets of values each field matches.

sundial's cron is 5-field Vixie/Debian cron (minute, hour, day-of-month, month, day-of-week)
plus the ``@hourly``-style nicknames. Parsing is our own, so that every reading is the one
``docs/schedules.md`` writes down (``20-20/1`` is 20 only, as in Vixie and Debian cron) and
every refusal names the field that is wrong and what it takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sundial.errors import InvalidScheduleError

__all__ = ["NICKNAMES", "CronFields", "cron_fields", "normalize_cron"]

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
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# The most days each month can have (February: in a leap year).
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# One term of a list: "*", "N" or "N-M", optionally followed by "/STEP". Names are allowed only
# in the month and day-of-week fields, as in Vixie cron. Numbers are at most 4 digits, which
# keeps int() cheap on any input and is more than any field or useful step needs.
_NUMBER = r"\d{1,4}"
_NAME = r"[A-Za-z]{3}"
_TERM = {
    named: re.compile(rf"(?P<base>\*|(?P<a>{v})(?:-(?P<b>{v}))?)(?:/(?P<step>{_NUMBER}))?")
    for named, v in ((False, _NUMBER), (True, f"(?:{_NUMBER}|{_NAME})"))
}
# Quartz extensions that Vixie cron and most native schedulers do not have.
_QUARTZ = re.compile(r"[#?]|(^|[,\d])(L|W|LW)($|,)", re.IGNORECASE)


@dataclass(frozen=True)
class CronFields:
    """What a valid expression matches, field by field, as sorted tuples of values.

    ``weekdays`` uses 0-6 with Sunday 0 (a 7 in the expression is folded into 0).
    ``days_or``: both day fields are restricted (neither starts with ``*``), so a day matching
    either one matches (Vixie cron); otherwise a day must match both.
    ``real_time``: the minute or the hour field starts with ``*``, so the job follows real time
    across a DST change instead of firing once per wall-clock time (Debian cron's rule).
    """

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: tuple[int, ...]
    weekdays: frozenset[int]
    days_or: bool
    real_time: bool


def normalize_cron(expression: str) -> str:
    """The 5-field form of ``expression`` (nicknames expanded, fields single-spaced).

    :raises InvalidScheduleError: the expression is not 5-field cron, or can never fire; the
        headline names the field that is wrong and what it accepts.
    """
    return _parse(expression)[0]


def cron_fields(expression: str) -> CronFields:
    """The value sets of a valid ``expression`` (see :func:`normalize_cron` for the errors)."""
    return _parse(expression)[1]


@lru_cache(maxsize=1024)
def _parse(expression: str) -> tuple[str, CronFields]:
    shown = f"cron_expression {expression!r}"
    text = expression.strip()
    if not text:
        raise InvalidScheduleError(
            "cron_expression is empty",
            'write five fields "minute hour day-of-month month day-of-week", e.g. "5 14 * * 3"',
        )
    if text.startswith("@"):
        text = _nickname(text, shown)

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
    values = [_field(index, part, shown) for index, part in enumerate(parts)]
    fields = CronFields(
        minutes=tuple(sorted(values[0])),
        hours=tuple(sorted(values[1])),
        days=frozenset(values[2]),
        months=tuple(sorted(values[3])),
        weekdays=frozenset(v % 7 for v in values[4]),
        days_or=not (parts[2].startswith("*") or parts[4].startswith("*")),
        real_time=parts[0].startswith("*") or parts[1].startswith("*"),
    )
    if not fields.days_or and not any(
        day <= _MONTH_DAYS[month - 1] for month in fields.months for day in fields.days
    ):
        # Every field is fine alone, but a day must match both day fields and no listed month
        # has a listed day. Any (month, day) that exists falls on every weekday within the
        # 400-year Gregorian cycle, so this is the only way a valid expression never fires.
        raise InvalidScheduleError(
            f"{shown} never fires: day-of-month {parts[2]!r} does not occur in month {parts[3]!r}",
            "choose a day-of-month that the month has (February has 28 or 29 days, "
            "April, June, September and November have 30)",
        )
    return " ".join(parts), fields


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


def _field(index: int, part: str, shown: str) -> set[int]:
    """The values field ``index`` matches, written as ``part``.

    Readings, as in Vixie/Debian cron: ``*/n`` is every n-th value from the field's lowest;
    ``a-b/n`` every n-th value from a to b, so ``20-20/1`` is just 20; ``a/n`` (cronie's
    shorthand, accepted as before) is ``a-max/n``.
    """
    name, accepts = _FIELDS[index], _RANGES[index]
    low, high = _BOUNDS[index]
    headline = f"{shown}: the {name} field {part!r} is not valid ({name} takes {accepts})"
    fix = (
        f'write the {name} as a value in {accepts}, a range "a-b", a step "*/n" or "a-b/n", '
        'a list "a,b,c" of those, or "*"'
    )
    names = _MONTH_NAMES if index == 3 else _DAY_NAMES if index == 4 else ()
    matched: set[int] = set()
    for term in part.split(","):
        found = _TERM[bool(names)].fullmatch(term)
        if found is None:
            if _QUARTZ.search(part):
                fix += "; Quartz's L, W, # and ? are not Vixie cron"
            raise InvalidScheduleError(headline, fix)
        step = 1 if found["step"] is None else int(found["step"])
        if found["base"] == "*":
            first, last = low, high
        else:
            first = _value(found["a"], names, index)
            last = high if found["b"] is None and found["step"] else first
            if found["b"] is not None:
                last = _value(found["b"], names, index)
        if step == 0 or not low <= first <= last <= high:
            raise InvalidScheduleError(headline, fix)
        if step > high:  # */61: it would fire once an hour at most, surely not what was meant
            raise InvalidScheduleError(
                f"{shown}: the {name} field {part!r} steps by {step}, more than the largest "
                f"{name} ({high})", f"use a step from 1 to {high}, e.g. */15")
        matched.update(range(first, last + 1, step))
    return matched


def _value(text: str, names: tuple[str, ...], index: int) -> int:
    if text.isdigit():
        return int(text)
    upper = text.upper()
    # An unknown name is made out of range, so the caller refuses it with the field's message.
    return names.index(upper) + (1 if index == 3 else 0) if upper in names else -1
