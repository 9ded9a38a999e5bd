"""What the cron property tests draw from: random expressions, zones and their offset changes.

Shared by the brute-force oracle (test_cron_oracle.py) and the cronsim comparison
(test_cron_matches_cronsim.py). Nothing here reads sundial's own cron code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

# Zones with unusual clocks, and why each is here.
ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",  # tzdata writes its winter time as negative DST
    "Europe/Moscow",  # permanent +04 in 2011, back to +03 in 2014
    "America/New_York",
    "America/Santiago",  # changes at midnight: 00:00 itself is skipped
    "America/Havana",  # changes at midnight too
    "America/Sao_Paulo",  # changes at midnight; DST abolished in 2019
    "America/Nuuk",  # changes at 22:00 / 23:00 local; DST abolished then restored (2023)
    "America/Caracas",  # 30-minute changes in 2007 and 2016
    "Australia/Lord_Howe",  # 30-minute shift
    "Australia/Adelaide",  # +09:30 / +10:30
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Apia",  # skipped 2011-12-30 whole, crossing the date line
    "Asia/Tehran",  # midnight changes; DST abolished in 2022
    "Asia/Gaza",  # changes at midnight or 02:00, several rule changes
    "Asia/Pyongyang",  # 30-minute changes in 2015 and 2018
    "Asia/Kathmandu",  # +05:45, no DST
    "Africa/Casablanca",  # DST suspended for Ramadan: two changes a few weeks apart
    "Antarctica/Troll",  # a 2-hour DST change
]
# (min, max) per field, as in Vixie cron.
FIELDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# An independent copy of Vixie cron's nicknames, so the oracles do not use sundial's table.
NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@cache
def transitions(zone_name: str, first_year: int = 2000, last_year: int = 2040) -> list[datetime]:
    """The UTC instants (to the minute) at which ``zone_name``'s offset changes, in the years
    ``first_year`` to ``last_year``."""
    zone = ZoneInfo(zone_name)

    def offset(at: datetime) -> timedelta | None:
        return at.astimezone(zone).utcoffset()

    found = []
    day = datetime(first_year, 1, 1, tzinfo=UTC)
    # Daily steps: no zone in ZONES changes its offset twice within a day in these years.
    while day.year <= last_year:
        low, high = day, day + timedelta(days=1)
        if offset(low) != offset(high):
            # Bisect to the minute: the first instant with the new offset.
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if offset(middle) == offset(low):
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
        day += timedelta(days=1)
    return found


@st.composite
def field_text(draw: st.DrawFn, index: int, same_end_steps: bool = True) -> str:
    """A random field ``index`` (0 minute … 4 day-of-week), often ``*``.

    ``same_end_steps=False`` never draws a range with a step whose start equals its end
    (``20-20/1``), which cronsim reads wrongly.
    """
    low, high = FIELDS[index]

    def value() -> str:
        number = draw(st.integers(low, high))
        if index == 3 and draw(st.booleans()):
            return MONTHS[number - 1]
        if index == 4 and number < 7 and draw(st.booleans()):
            return DAYS[number]
        return str(number)

    def term() -> str:
        shape = draw(st.sampled_from(["*", "*/n", "v", "v-w", "v-w/n", "v/n"]))
        if shape == "*":
            return "*"
        if shape == "*/n":
            return f"*/{draw(st.integers(1, high))}"
        if shape == "v":
            return value()
        if shape == "v/n":
            return f"{value()}/{draw(st.integers(1, high))}"
        a, b = sorted(draw(st.lists(st.integers(low, high), min_size=2, max_size=2)))
        if shape == "v-w/n" and a == b and not same_end_steps:
            a, b = (a, a + 1) if a < high else (a - 1, a)
        text = f"{a}-{b}"
        return text + (f"/{draw(st.integers(1, high))}" if shape == "v-w/n" else "")

    # The day and month fields are "*" half the time, so that most expressions fire within
    # a day or two of the instant drawn, where the oracles look.
    if index >= 2 and draw(st.booleans()):
        return "*"
    return ",".join(term() for _ in range(draw(st.integers(1, 3))))


@st.composite
def expressions(draw: st.DrawFn, same_end_steps: bool = True) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(sorted(NICKNAMES)))
    return " ".join(draw(field_text(i, same_end_steps)) for i in range(5))
