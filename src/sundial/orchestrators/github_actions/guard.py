"""The tick guard: the first job of every workflow sundial writes for GitHub Actions.

GitHub tells a scheduled run which cron fired (``github.event.schedule``) but not for which
instant, and it has no start or end date. So the first job runs
``python -m sundial.orchestrators.github_actions.guard``, which

- takes the nominal time of a manual dispatch from its ``nominal`` input (``sundial``'s
  trigger and backfill pass it; empty means now), and for a scheduled run computes it: the
  schedule's latest fire time at or before now (GitHub starts scheduled runs late, never
  early);
- skips a scheduled run whose tick falls before ``start_time`` or after ``end_time``, and says
  why in the job log (a ``::notice::``);
- writes ``nominal`` and ``go`` to ``$GITHUB_OUTPUT`` for the step jobs.

Reads ``SUNDIAL_SCHEDULE`` (the Schedule as JSON, empty for a workflow without a schedule),
``SUNDIAL_NOMINAL``, ``GITHUB_EVENT_NAME`` and ``GITHUB_OUTPUT`` from the environment.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sundial.definition.schedule import Schedule
from sundial.errors import ParameterError, SundialError
from sundial.timing import fire_times

__all__ = ["Decision", "decide", "main"]

# How far back the latest tick is looked for, widening: a yearly cron needs a year.
_LOOKBACK = (timedelta(hours=1), timedelta(days=2), timedelta(days=32), timedelta(days=367),
             timedelta(days=366 * 8 + 2))


@dataclass(frozen=True)
class Decision:
    nominal: datetime
    go: bool
    reason: str


def decide(schedule: Schedule | None, event: str, nominal: str, now: datetime) -> Decision:
    """What the run of ``event`` at ``now`` is: its nominal time and whether it runs.

    :raises ParameterError: ``nominal`` is not an ISO-8601 instant with an offset.
    """
    if nominal.strip():
        try:
            at = datetime.fromisoformat(nominal.strip())
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            raise ParameterError(f"the workflow input nominal={nominal!r} is not an ISO-8601 "
                                 "instant with an offset",
                                 "dispatch with e.g. nominal=2026-11-23T14:05:00+00:00, or "
                                 "leave it empty for now")
        return Decision(at.astimezone(UTC), True, "dispatched with its nominal time")
    if schedule is None or event != "schedule":
        return Decision(now, True, f"{event or 'manual'} run, nominal time now")
    latest = _latest_tick(schedule, now)
    if latest is None:
        return Decision(now, False, f"no tick of the schedule at or before {now.isoformat()} "
                        f"(start_time {schedule.utc_start_time})")
    if schedule.start_time is not None and latest < schedule.start_time:
        return Decision(latest, False, f"tick {latest.isoformat()} is before start_time "
                        f"{schedule.utc_start_time}")
    if schedule.end_time is not None and latest > schedule.end_time:
        return Decision(latest, False, f"tick {latest.isoformat()} is after end_time "
                        f"{schedule.utc_end_time}: the schedule has ended; disable the "
                        "workflow (sundial schedule pause) or delete it")
    return Decision(latest, True, f"scheduled tick {latest.isoformat()}")


def _latest_tick(schedule: Schedule, now: datetime) -> datetime | None:
    # Bounds are the guard's to check (so it can say which one); an interval keeps its
    # start_time, which anchors its grid.
    free = schedule if schedule.kind == "interval" else schedule.replace(start_time=None,
                                                                         end_time=None)
    for back in _LOOKBACK:
        last = None
        for last in fire_times(free, now - back, until=now):  # noqa: B007
            pass
        if last is not None:
            return last.astimezone(UTC)
    return None


def main(environ: dict[str, str] | None = None, now: datetime | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    text = env.get("SUNDIAL_SCHEDULE", "")
    try:
        schedule = Schedule.from_json(text) if text.strip() else None
        decision = decide(schedule, env.get("GITHUB_EVENT_NAME", ""),
                          env.get("SUNDIAL_NOMINAL", ""), now or datetime.now(UTC))
    except SundialError as err:
        print(f"::error::{err.headline} (fix: {err.fix})")
        return 2
    print(("" if decision.go else "::notice::skipped: ") + decision.reason)
    output = env.get("GITHUB_OUTPUT")
    lines = f"nominal={decision.nominal.isoformat()}\ngo={str(decision.go).lower()}\n"
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(lines)
    else:
        print(lines, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
