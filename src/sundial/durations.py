"""Durations as people write them: ``30m``, ``1h30m``, ``2d``, ``45s``, ``1.5h`` or plain seconds.

Shared by every flag and setting that takes a length of time (``--interval``, the alert
lateness), so that all of them read ``30m`` the same way. Pure; bounded work on user input.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sundial.errors import ParameterError

_UNITS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|w|d|h|m|s)")
MAX_TEXT = 64  # longer is not a duration anyone writes: refuse before scanning it


def parse_duration(text: str, *, what: str = "duration") -> timedelta:
    """``"30m"`` → 30 minutes; a bare number is seconds (and may be negative). Units: w d h m
    s ms, combinable largest first (``1h30m``).

    :param what: how the caller names the input in errors, e.g. ``"--interval"``.
    :raises ParameterError: naming the input and the accepted forms.
    """
    raw = text.strip().lower().replace(" ", "")
    fix = f"write {what} like 45s, 30m, 1h30m, 2d or a number of seconds"
    if not raw or len(raw) > MAX_TEXT:
        raise ParameterError(f"{what} {text!r} is not a duration", fix)
    try:
        seconds = float(raw)
    except ValueError:
        seconds = None
    if seconds is None:
        pos, seconds, order = 0, 0.0, list(_UNITS)
        last = -1
        for match in _PART.finditer(raw):
            if match.start() != pos:
                break
            rank = order.index(match.group(2))
            if rank <= last:  # "30m1h" or "1h1h": ambiguous, refuse
                raise ParameterError(f"{what} {text!r} repeats or misorders its units", fix)
            last = rank
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if pos != len(raw):
            raise ParameterError(f"{what} {text!r} is not a duration", fix)
    # NaN or absurd. A negative plain number passes, for the caller's own check to name
    # (e.g. Schedule's "interval_second must be positive").
    if seconds != seconds or abs(seconds) > 1e10:
        raise ParameterError(f"{what} {text!r} is out of range", fix)
    return timedelta(seconds=seconds)
