"""Time zones: load an IANA zone by name, find the machine's zone, read naive datetimes.

The one rule kept here: a naive datetime is a wall-clock time in the schedule's zone. A wall
time that occurs twice (fall back) means its first occurrence, and a wall time that does not
exist (spring forward) is read with the offset in force before the jump, so 02:30 on a
Berlin spring-forward day is 03:30 CEST. Both are what ``zoneinfo`` does with ``fold=0``
(PEP 495); a caller who means the second occurrence passes ``fold=1``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sundial.errors import InvalidScheduleError

__all__ = ["load_zone", "local_zone_name", "to_utc"]

FALLBACK_ZONE = "UTC"


@lru_cache(maxsize=256)
def load_zone(name: str) -> ZoneInfo:
    """Return the IANA zone called ``name``.

    :raises InvalidScheduleError: the name is not a zone in the IANA database.
    """
    fix = 'use an IANA time zone name such as "UTC", "Europe/Berlin" or "America/New_York"'
    if not isinstance(name, str) or not name.strip():
        raise InvalidScheduleError(f"timezone {name!r} is not a time zone name", fix)
    try:
        return ZoneInfo(name)
    # ZoneInfo raises ValueError for names that could escape the zone directory (absolute
    # paths, "..", NUL bytes) and OSError/UnicodeError for unreadable ones; all mean "unknown".
    except (ZoneInfoNotFoundError, ValueError, OSError, UnicodeError):
        headline = f"timezone {name!r} is not a known IANA time zone"
        raise InvalidScheduleError(headline, fix) from None


def local_zone_name() -> str:
    """The IANA name of this machine's zone, or ``"UTC"`` when it cannot be told.

    Resolved once per call (not cached) so a test or a process that changes ``TZ`` sees it.
    """
    try:
        import tzlocal

        name = tzlocal.get_localzone_name()
    # tzlocal raises when /etc/localtime is not a link into the zone database and no TZ
    # variable names a zone; "the building machine's zone" is then unknowable, so use UTC.
    except Exception:
        return FALLBACK_ZONE
    if not name:
        return FALLBACK_ZONE
    try:
        load_zone(name)
    except InvalidScheduleError:
        return FALLBACK_ZONE
    return name


def to_utc(value: datetime, zone: ZoneInfo) -> datetime:
    """``value`` as an aware UTC datetime; a naive ``value`` is wall-clock time in ``zone``.

    :raises OverflowError: the instant falls outside ``datetime``'s range (years 1-9999).
    """
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)
