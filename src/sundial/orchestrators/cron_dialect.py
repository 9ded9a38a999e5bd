"""Where another cron dialect reads a cron expression differently from sundial's (Debian cron).

Debian cron ANDs the two day fields when either starts with ``*`` (``*/2`` included) and ORs
them otherwise; croniter (Airflow) and POSIX cron (GitHub Actions) OR them whenever both are
restricted. Backends that hand the expression over as text refuse that case with this problem.
"""

from __future__ import annotations

from sundial.orchestrators.native import Problem


def day_fields_problem(cron: str, reader: str) -> Problem | None:
    """The problem of a normalized ``cron`` whose two restricted day fields Debian cron ANDs
    while ``reader`` (e.g. "Airflow's croniter") ORs them; None when both read it alike."""
    _minute, _hour, dom, _month, dow = cron.split()
    if dom == "*" or dow == "*" or not (dom.startswith("*") or dow.startswith("*")):
        return None
    return Problem(
        ("cron_expression",),
        f"cron {cron!r} restricts both day fields and one starts with '*': Debian cron "
        f"(sundial) requires both to match, {reader} either",
        advice="write the day field without a leading '*' (e.g. 1-31/2 for */2), or leave one "
               "of the two day fields '*'")
