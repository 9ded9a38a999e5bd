"""`sundial schedule preview`: in-process with Typer's runner, and as the installed command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sundial.cli.app import app
from sundial.errors import InvalidScheduleError

runner = CliRunner()


def preview(*args: str) -> list[str]:
    result = runner.invoke(app, ["schedule", "preview", *args, "--json"])
    assert result.exit_code == 0, result.output
    times = json.loads(result.stdout)
    assert isinstance(times, list)
    return times


def installed_sundial() -> str:
    # The console script installed next to this interpreter (the venv's bin/).
    beside = Path(sys.executable).parent / "sundial"
    found = str(beside) if beside.exists() else shutil.which("sundial")
    if found is None:
        pytest.skip("the sundial console script is not installed")
    return found


def run_installed(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([installed_sundial(), *args], capture_output=True, text=True,
                          env=env, timeout=120)


class TestJson:
    def test_documented_example(self) -> None:
        assert preview("--cron", "5 14 * * 3", "--tz", "UTC",
                       "--after", "2026-11-23T00:00:00+00:00", "-n", "2") == [
            "2026-11-25T14:05:00+00:00",
            "2026-12-02T14:05:00+00:00",
        ]

    def test_times_are_in_the_schedule_zone_with_offsets(self) -> None:
        # Europe/Berlin falls back on 2026-10-25; the hourly job shows both 02:00s.
        assert preview("--cron", "0 * * * *", "--tz", "Europe/Berlin",
                       "--after", "2026-10-25T01:30:00+02:00", "-n", "3") == [
            "2026-10-25T02:00:00+02:00",
            "2026-10-25T02:00:00+01:00",
            "2026-10-25T03:00:00+01:00",
        ]

    def test_naive_after_is_wall_clock_in_tz(self) -> None:
        assert preview("--cron", "@daily", "--tz", "Asia/Tokyo",
                       "--after", "2026-01-01T00:00:00", "-n", "1") == [
            "2026-01-02T00:00:00+09:00"
        ]

    def test_interval_with_start_and_end(self) -> None:
        assert preview("--interval", "1800", "--start", "2026-01-01T00:00:00Z",
                       "--end", "2026-01-01T01:00:00Z", "--tz", "UTC",
                       "--after", "2025-12-31T00:00:00Z") == [
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T00:30:00+00:00",
            "2026-01-01T01:00:00+00:00",
        ]

    def test_once(self) -> None:
        assert preview("--once", "2026-06-01T12:00:00", "--tz", "America/New_York",
                       "--after", "2026-01-01T00:00:00Z") == ["2026-06-01T12:00:00-04:00"]
        assert preview("--once", "2026-06-01T12:00:00", "--tz", "America/New_York",
                       "--after", "2026-07-01T00:00:00Z") == []

    def test_default_count_is_ten(self) -> None:
        assert len(preview("--cron", "*/5 * * * *", "--tz", "UTC")) == 10

    def test_count_zero(self) -> None:
        assert preview("--cron", "@hourly", "--tz", "UTC", "-n", "0") == []


class TestTable:
    def test_columns_in_zone_and_utc(self) -> None:
        result = runner.invoke(app, ["schedule", "preview", "--cron", "5 14 * * 3",
                                     "--tz", "Europe/Berlin",
                                     "--after", "2026-11-23T00:00:00+00:00", "-n", "2"])
        assert result.exit_code == 0, result.output
        assert "Europe/Berlin" in result.stdout and "UTC" in result.stdout
        assert "2026-11-25T14:05:00+01:00" in result.stdout
        assert "2026-11-25T13:05:00+00:00" in result.stdout
        assert "2026-12-02T14:05:00+01:00" in result.stdout

    def test_nothing_to_show(self) -> None:
        result = runner.invoke(app, ["schedule", "preview", "--once", "2020-01-01T00:00:00",
                                     "--tz", "UTC", "--after", "2026-01-01T00:00:00"])
        assert result.exit_code == 0, result.output
        assert "No fire times" in result.stdout

    def test_help_lists_the_options(self) -> None:
        result = runner.invoke(app, ["schedule", "preview", "--help"])
        assert result.exit_code == 0
        for option in ("--cron", "--interval", "--once", "--start", "--end", "--tz", "--after",
                       "-n", "--json"):
            assert option in result.stdout


class TestErrors:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--cron", "5 14 * * 9"], "day-of-week field '9' is not valid"),
            (["--interval", "-5"], "interval_second must be positive"),
            (["--cron", "@daily", "--tz", "Mars/Base"], "timezone 'Mars/Base'"),
            (["--cron", "@daily", "--interval", "60"], "exactly one kind"),
            ([], "nothing about when to run"),
            (["--cron", "@daily", "--after", "soon"], "--after 'soon' is not an ISO-8601"),
            (["--cron", "@daily", "-n", "-1"], "-n -1 is negative"),
            # Issue 9, defect 5: this ran until killed.
            (["--cron", "* * * * *", "-n", "100000000"], "-n 100000000 is more than 10000"),
            (["--interval", "60", "--start", "2026-01-02T00:00:00",
              "--end", "2026-01-01T00:00:00"], "is not after start_time"),
        ],
    )
    def test_raises_the_models_error(self, args: list[str], message: str) -> None:
        result = runner.invoke(app, ["schedule", "preview", *args])
        assert isinstance(result.exception, InvalidScheduleError), result.output
        assert message in result.exception.headline
        assert result.exception.fix

    def test_installed_command_exits_2_with_headline_and_fix(self) -> None:
        done = run_installed("schedule", "preview", "--cron", "5 14 * 13 3")
        assert done.returncode == 2
        assert ("Error: cron_expression '5 14 * 13 3': the month field '13' is not valid"
                in done.stderr)
        assert "Fix: write the month as a value in 1-12 or JAN-DEC" in done.stderr
        assert "Traceback" not in done.stderr
        assert done.stdout == ""

    def test_installed_command_bad_flag_type_is_a_usage_error(self) -> None:
        done = run_installed("schedule", "preview", "--interval", "often")
        assert done.returncode == 2
        assert "Traceback" not in done.stderr


def test_installed_command_prints_the_documented_json() -> None:
    done = run_installed("schedule", "preview", "--cron", "5 14 * * 3", "--tz", "UTC",
                         "--after", "2026-11-23T00:00:00+00:00", "-n", "2", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["2026-11-25T14:05:00+00:00", "2026-12-02T14:05:00+00:00"]
    # Exactly what the issue shows: one line.
    assert done.stdout == '["2026-11-25T14:05:00+00:00", "2026-12-02T14:05:00+00:00"]\n'


def test_preview_across_chatham_fall_back_returns() -> None:
    # Issue 9, defect 1: this preview never returned (killed by `timeout 30`).
    assert preview("--cron", "* 3 * * *", "--tz", "Pacific/Chatham",
                   "--after", "2027-04-04T03:40:00", "-n", "6") == [
        "2027-04-04T03:41:00+13:45",
        "2027-04-04T03:42:00+13:45",
        "2027-04-04T03:43:00+13:45",
        "2027-04-04T03:44:00+13:45",
        "2027-04-04T03:00:00+12:45",
        "2027-04-04T03:01:00+12:45",
    ]
