"""Schedule → CronJob: the fields, the refusals, and the fire-time agreement.

The agreement test reads each compiled CronJob the way Kubernetes' controller does — robfig's
5-field cron (lists of values, day fields OR-ed unless one is ``*``) on the wall clock of
``spec.timeZone`` — with an oracle written here from those documented rules, and compares its
next fire times with `sundial schedule preview`. What it cannot show: the controller's own
clock (it checks about every 10 s, so a run starts up to ~10 s after its time) and the DST
behaviour of a real cluster, which is why crons that fire in a DST change are refused.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from sundial import Schedule
from sundial.cli.app import app
from sundial.orchestrators.kubernetes.mapping import cronjob_timing, refusals

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def cronjob_fire_times(schedule: str, zone: str, after: datetime, count: int) -> list[datetime]:
    """The CronJob controller's fire times (the oracle): local day by local day, each listed
    hour and minute on ``zone``'s wall clock, converted to UTC."""
    def values(field: str, full: range) -> list[int]:
        return list(full) if field == "*" else sorted(int(v) for v in field.split(","))

    minute, hour, dom, month, dow = schedule.split()
    tz = ZoneInfo(zone)
    found: list[datetime] = []
    day = after.astimezone(tz).date()
    while len(found) < count and day < date(after.year + 30, 1, 1):
        in_dom = day.day in values(dom, range(1, 32))
        in_dow = day.isoweekday() % 7 in values(dow, range(7))
        day_ok = (in_dom and in_dow) if "*" in (dom, dow) else (in_dom or in_dow)
        if day.month in values(month, range(1, 13)) and day_ok:
            for h in values(hour, range(24)):
                for m in values(minute, range(60)):
                    at = datetime(day.year, day.month, day.day, h, m, tzinfo=tz).astimezone(UTC)
                    if at > after and len(found) < count:
                        found.append(at)
        day += timedelta(days=1)
    return found


def preview(*args: str) -> list[datetime]:
    result = CliRunner().invoke(app, ["schedule", "preview", "--json", "-n", "12",
                                      "--after", NOW.isoformat(), *args])
    assert result.exit_code == 0, result.output
    return [datetime.fromisoformat(t).astimezone(UTC) for t in json.loads(result.output)]


@pytest.mark.parametrize("cron,zone", [
    ("5 14 * * 3", "Europe/Berlin"),        # the seeds' example, in a DST zone (14:05 is safe)
    ("*/15 9-17 * * 1-5", "America/New_York"),
    ("0 6 1,15 * *", "Asia/Tokyo"),
    ("30 4 * * 0", "Australia/Sydney"),
    ("0 0 1 */3 *", "UTC"),
    ("@daily", "Asia/Kolkata"),
    ("0 12 * * 0-7", "UTC"),                 # Debian's 7 is Sunday: written as 0 for robfig
    ("45 23 L * *".replace("L", "28-31"), "Europe/London"),
])
def test_cronjob_fires_when_sundial_preview_does(cron: str, zone: str) -> None:
    schedule = Schedule(cron_expression=cron, timezone=zone, overlap="skip")
    assert refusals(schedule, NOW) == []
    timing = cronjob_timing(schedule, NOW)
    assert timing.time_zone == zone and timing.concurrency_policy == "Forbid"
    ours = preview("--cron", cron, "--tz", zone)
    assert cronjob_fire_times(timing.schedule, timing.time_zone, NOW, 12) == ours


def test_an_exact_interval_becomes_a_utc_cron_and_the_due_tick_runs_at_once() -> None:
    start = datetime(2026, 12, 1, 23, 50, tzinfo=UTC)
    schedule = Schedule(interval_second=900, start_time=start, overlap="allow")
    assert refusals(schedule, NOW) == []
    timing = cronjob_timing(schedule, NOW)
    assert (timing.schedule, timing.time_zone) == ("5,20,35,50 * * * *", "Etc/UTC")
    assert timing.due == datetime(2026, 12, 2, 1, 50, tzinfo=UTC)  # newest tick <= now
    ours = preview("--interval", "900", "--start", start.isoformat(), "--tz", "UTC")
    assert cronjob_fire_times(timing.schedule, "UTC", NOW, 12) == ours
    assert timing.concurrency_policy == "Allow"


def _refused(schedule: Schedule) -> set[str]:
    return {f for r in refusals(schedule, NOW) for f in r.fields}


def test_what_a_cronjob_cannot_mean_is_refused() -> None:
    # DST: 02:30 in Berlin is skipped in March and repeated in October (k8s issue 121594).
    dst = refusals(Schedule(cron_expression="30 2 * * *", timezone="Europe/Berlin",
                            overlap="skip"), NOW)
    assert dst and "121594" in dst[0].reason and "2027-03-28" in dst[0].reason
    assert _refused(Schedule(cron_expression="30 2 * * *", timezone="UTC",
                             overlap="skip")) == set()
    assert _refused(Schedule(cron_expression="0 0 */2 * 1", timezone="UTC",
                             overlap="skip")) == {"cron_expression"}  # the day-field rule
    assert _refused(Schedule(cron_expression="0 * * * *", timezone="UTC")) == {"overlap=queue"}
    assert _refused(Schedule(cron_expression="0 * * * *", timezone="UTC", overlap="skip",
                             max_active_runs=2)) == {"max_active_runs"}
    assert _refused(Schedule(cron_expression="0 * * * *", timezone="UTC", overlap="allow",
                             max_active_runs=3)) == set()
    assert _refused(Schedule(cron_expression="0 * * * *", timezone="UTC", overlap="skip",
                             catchup=True)) == {"catchup"}
    assert _refused(Schedule(cron_expression="0 * * * *", timezone="UTC", overlap="skip",
                             start_time=NOW, end_time=NOW + timedelta(days=1), max_runs=3,
                             jitter=30)) == {"start_time", "end_time", "max_runs", "jitter"}
    assert _refused(Schedule(run_once_start_time=NOW + timedelta(hours=1),
                             overlap="skip")) == {"run_once_start_time"}
    # An interval that is no cron, or that starts later (a CronJob has no start).
    assert _refused(Schedule(interval_second=7 * 60, start_time=NOW,
                             overlap="skip")) == {"interval_second", "start_time"}
    assert _refused(Schedule(interval_second=600, start_time=NOW + timedelta(seconds=7),
                             overlap="skip")) == {"start_time"}
