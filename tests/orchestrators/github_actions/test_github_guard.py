"""The tick guard's decisions (pure): which tick a run of the workflow is, and whether it runs.

The guard runs for real, as the workflow's first job, in test_github_run_lines.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sundial import Schedule
from sundial.errors import ParameterError
from sundial.orchestrators.github_actions.guard import decide, main

NOW = datetime(2026, 11, 25, 13, 17, 42, tzinfo=UTC)
WEEKLY = Schedule(cron_expression="5 14 * * 3", timezone="Europe/Berlin")


def test_a_scheduled_run_is_its_latest_tick() -> None:
    # Wednesday 2026-11-25 14:05 CET = 13:05Z; GitHub started the run 12 minutes late.
    decision = decide(WEEKLY, "schedule", "", NOW)
    assert decision.go
    assert decision.nominal == datetime(2026, 11, 25, 13, 5, tzinfo=UTC)


def test_a_yearly_cron_finds_last_years_tick() -> None:
    yearly = Schedule(cron_expression="0 0 1 1 *", timezone="UTC")
    assert decide(yearly, "schedule", "", NOW).nominal == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_dispatch_carries_its_nominal_time() -> None:
    decision = decide(WEEKLY, "workflow_dispatch", "2026-11-18T14:05:00+01:00", NOW)
    assert decision.go
    assert decision.nominal == datetime(2026, 11, 18, 13, 5, tzinfo=UTC)
    assert decide(WEEKLY, "workflow_dispatch", "", NOW).nominal == NOW


@pytest.mark.parametrize("bad", ["yesterday", "2026-11-18T14:05:00"])
def test_a_bad_nominal_input_names_the_fix(bad: str) -> None:
    with pytest.raises(ParameterError, match="nominal=") as info:
        decide(WEEKLY, "workflow_dispatch", bad, NOW)
    assert "+00:00" in info.value.fix


def test_bounds() -> None:
    later = WEEKLY.replace(start_time=NOW + timedelta(days=3))
    decision = decide(later, "schedule", "", NOW)
    assert not decision.go and "before start_time" in decision.reason
    ended = WEEKLY.replace(end_time=NOW - timedelta(hours=1))
    decision = decide(ended, "schedule", "", NOW)
    assert not decision.go and "after end_time" in decision.reason
    interval = Schedule(interval_second=1800, start_time=NOW + timedelta(hours=1))
    assert not decide(interval, "schedule", "", NOW).go


def test_main_writes_github_output(tmp_path: Path) -> None:
    output = tmp_path / "out"
    env = {"SUNDIAL_SCHEDULE": WEEKLY.to_json(), "SUNDIAL_NOMINAL": "",
           "GITHUB_EVENT_NAME": "schedule", "GITHUB_OUTPUT": str(output)}
    assert main(env, NOW) == 0
    assert output.read_text() == "nominal=2026-11-25T13:05:00+00:00\ngo=true\n"
    assert main({**env, "SUNDIAL_NOMINAL": "soon"}, NOW) == 2
