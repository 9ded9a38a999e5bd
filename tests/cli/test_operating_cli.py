"""The defects of issue 14 as a user meets them: each command typed as on the shell (Typer's
runner in-process; a real subprocess where a terminal, a worker or the console script
matters)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sundial.engine.loader import load_pipeline
from usercli import sundial

FLOW = '''
from sundial import pipeline, step

@step
def tick(n: int = 1) -> int:
    return n

@pipeline
def clocked(n: int = 1, label: str = "x"):
    tick(n=n)

@pipeline
def needs(n: int):
    tick(n=n)
'''
DAY = datetime(2026, 11, 12)


@pytest.fixture
def flow(sqlite_env: Path, tmp_path: Path) -> Path:
    """An hourly schedule 'hourly' (UTC, from 2026-11-01) of `clocked` with n=2."""
    from sundial import Schedule

    path = tmp_path / "flow.py"
    path.write_text(FLOW)
    load_pipeline(f"{path}:clocked").run(
        schedule=Schedule(name="hourly", interval_second=3600, timezone="UTC",
                          start_time=datetime(2026, 11, 1, tzinfo=UTC)), n=2)
    return path


def as_json(*args: str) -> object:
    done = sundial(*args, "--json")
    assert done.code == 0, done.err
    return json.loads(done.out)


def console_script(*args: str, env: dict[str, str] | None = None
                   ) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "sundial"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


# -- 4: runs list / show / logs / run ---------------------------------------------------------
def test_runs_list_show_logs_and_run_say_enough(flow: Path, sqlite_env: Path) -> None:
    ran = sundial("run", f"{flow}:clocked", "--param", "n=3", "--json")
    assert ran.code == 0, ran.err
    run = json.loads(ran.out)
    assert run["status"] == "completed" and run["params"] == {"n": 3, "label": "x"}
    sundial("schedule", "trigger", "hourly")
    listed = console_script("runs", "list", env={"SUNDIAL_HOME": str(sqlite_env)})
    header = listed.stdout.splitlines()[1]
    for column in ("schedule", "trigger", "nominal (UTC)", "started (UTC)", "seconds"):
        assert column in header
    assert re.search(r"hourly +│ manual +│ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d +│ queued",
                     listed.stdout)
    rows = as_json("runs", "list")
    assert isinstance(rows, list) and {r["schedule"] for r in rows} == {"hourly", None}

    bogus = sundial("runs", "list", "--status", "bogus")
    assert bogus.code == 2 and "--status 'bogus' is not a run status" in bogus.err
    assert "queued, starting, running" in bogus.err

    shown = sundial("runs", "show", run["id"], "--json")
    instants = re.findall(r'"\w+_at": "([^"]+)"', shown.out)
    assert len(instants) >= 5 and all(re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", i) for i in instants), instants
    logs = as_json("runs", "logs", run["id"])
    assert isinstance(logs, dict) and [s["name"] for s in logs["steps"]] == ["tick"]


# -- 5: parameters --------------------------------------------------------------------------
def test_parameters_of_updates_triggers_and_reruns(flow: Path) -> None:
    updated = as_json("schedule", "update", "hourly", "--param", "n=5")
    assert isinstance(updated, dict) and updated["params"] == {"n": 5, "label": "x"}
    triggered = as_json("schedule", "trigger", "hourly", "--param", "label=adhoc")
    assert isinstance(triggered, dict)
    queued = as_json("runs", "show", str(triggered["run_id"]))
    assert isinstance(queued, dict) and queued["params"] == {"n": 5, "label": "adhoc"}
    wrong = sundial("schedule", "trigger", "hourly", "--param", "lr=0.1")
    assert wrong.code == 2 and "has no parameter 'lr'" in wrong.err and "n, label" in wrong.err
    bad_type = sundial("schedule", "update", "hourly", "--param", "n=many")
    assert bad_type.code == 2 and "'n'" in bad_type.err

    cancelled = as_json("runs", "cancel", str(triggered["run_id"])[:8])
    assert cancelled == {"run": triggered["run_id"], "status": "cancelled"}
    again = sundial("runs", "cancel", str(triggered["run_id"]))
    assert again.code == 2 and "has ended already (cancelled)" in again.err

    first = json.loads(sundial("run", f"{flow}:clocked", "--json").out)
    rerun = as_json("runs", "rerun", first["id"], "--param", "n=7")
    assert isinstance(rerun, dict) and rerun["id"] != first["id"]
    assert rerun["status"] == "completed" and rerun["params"] == {"n": 7, "label": "x"}
    assert (rerun["trigger"], rerun["orchestrator"]) == ("rerun", "local")
    # The code moved: the fix speaks of the run, not of a TARGET the user never typed.
    flow.rename(flow.with_name("moved.py"))
    lost = sundial("runs", "rerun", first["id"])
    assert lost.code == 2 and "does not exist" in lost.err and "TARGET" not in lost.err
    assert "sundial run" in lost.err and "moved" not in lost.err


# -- 6: delete and back-fill ------------------------------------------------------------------
def test_backfill_of_a_bare_day_and_its_dry_run(flow: Path) -> None:
    dry = as_json("schedule", "backfill", "hourly", "2026-11-12", "2026-11-12", "--dry-run")
    assert isinstance(dry, dict) and dry["ticks"] == 24 and dry["created"] == 24
    assert dry["nominals"][0] == "2026-11-12T00:00:00+00:00"
    assert dry["nominals"][-1] == "2026-11-12T23:00:00+00:00"
    assert as_json("runs", "list") == []  # a dry run records nothing
    done = as_json("schedule", "backfill", "hourly", "2026-11-12", "2026-11-12")
    assert done == {"name": "hourly", "ticks": 24, "created": 24, "existing": 0}
    human = sundial("schedule", "backfill", "hourly", "2026-11-12T22:00:00+00:00",
                    "2026-11-13", "--dry-run")
    assert human.out.startswith("Dry run of the back-fill of hourly: 26 ticks, 24 runs would")


def test_a_bare_end_date_of_today_backfills_up_to_now(flow: Path) -> None:
    # "That whole day" said of today means its ticks so far: the scheduler fires the rest.
    # (Before, this was refused as a future end, which read as a bug after 00:00 UTC.)
    before = datetime.now(UTC)
    today = before.date().isoformat()
    dry = as_json("schedule", "backfill", "hourly", today, today, "--dry-run")
    after = datetime.now(UTC)
    hours = {when.replace(minute=0, second=0, microsecond=0) for when in (before, after)
             if when.date() == before.date()}  # a call across an hour (or midnight) may see either
    assert isinstance(dry, dict) and dry["ticks"] in {h.hour + 1 for h in hours}
    assert dry["nominals"][-1] in {h.isoformat() for h in hours}
    future = sundial("schedule", "backfill", "hourly", today, "2999-01-01T00:00:00+00:00")
    assert future.code == 2 and "is in the future" in future.err
    ahead = sundial("schedule", "backfill", "hourly", "2999-01-01", "2999-01-01")
    assert ahead.code == 2 and "is in the future" in ahead.err


def test_delete_says_what_it_cancels_and_asks_first(flow: Path) -> None:
    as_json("schedule", "backfill", "hourly", "2026-11-12T00:00:00+00:00",
            "2026-11-12T04:00:00+00:00")
    dry = sundial("schedule", "delete", "hourly", "--dry-run")
    assert dry.out == "Dry run: would delete schedule hourly; 5 queued runs would be cancelled.\n"
    unconfirmed = sundial("schedule", "delete", "hourly")
    assert unconfirmed.code == 2 and "confirm with --yes" in unconfirmed.err
    assert as_json("schedule", "list")  # still there
    deleted = sundial("schedule", "delete", "hourly", "--yes")
    assert deleted.out == "Schedule hourly deleted; 5 queued runs cancelled.\n"


def test_no_blank_line_before_output_off_a_terminal(flow: Path, sqlite_env: Path) -> None:
    done = console_script("schedule", "backfill", "hourly", "2026-11-12T00:00:00+00:00",
                          "2026-11-12T01:00:00+00:00", env={"SUNDIAL_HOME": str(sqlite_env)})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Back-fill of hourly: 2 ticks, 2 runs queued, 0 had a run already.\n"


# -- 7: Schedule fields, registration, schedule list -----------------------------------------
def test_a_misspelt_schedule_field_gets_a_suggestion(tmp_path: Path) -> None:
    code = "from sundial import Schedule\nSchedule(interval_seconds=1800)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert "interval_seconds is not a Schedule field; did you mean interval_second?" in \
        done.stderr
    assert "use only these fields: name, cron_expression" in done.stderr
    assert "Extra inputs are not permitted" not in done.stderr


def test_registering_says_what_was_made_and_that_a_scheduler_must_run(
        tmp_path: Path, sqlite_env: Path) -> None:
    (tmp_path / "flow.py").write_text(FLOW)
    code = (f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
            "from flow import clocked\nfrom sundial import Schedule\n"
            "clocked.run(schedule=Schedule(name='every30', interval_second=1800))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "SUNDIAL_HOME": str(sqlite_env)})
    assert done.returncode == 0, done.stderr
    assert "registered schedule 'every30' of pipeline clocked; next fire 20" in done.stderr
    assert "none is alive for this store; start one with `sundial scheduler`" in done.stderr
    listed = sundial("schedule", "list")
    assert "every30" in listed.out and "No scheduler is alive for this store" in listed.err


# -- 8: the small things ----------------------------------------------------------------------
def test_version_completion_and_help_without_bool(sqlite_env: Path) -> None:
    from sundial import __version__

    assert sundial("--version").out == f"sundial {__version__}\n"
    helped = sundial("schedule", "delete", "--help")
    assert "--yes" in helped.out and "<bool>" not in helped.out
    assert "<bool>" not in sundial("runs", "list", "--help").out
    # Rich reads "[ui]" as markup and drops it: the help said `pip install 'sundial'`.
    assert "'sundial[ui]'" in " ".join(sundial("up", "--help").out.split())
    completion = console_script(env={"_SUNDIAL_COMPLETE": "complete_bash",
                                     "COMP_WORDS": "sundial sched", "COMP_CWORD": "1"})
    assert set(completion.stdout.split()) == {"schedule", "scheduler"}, completion


def test_durations_refused_cron_steps_and_cli_shaped_hints(flow: Path) -> None:
    fires = as_json("schedule", "preview", "--interval", "30m", "--start",
                    "2026-01-01T00:00:00+00:00", "--after", "2026-01-01T00:00:00+00:00",
                    "-n", "2")
    assert fires == ["2026-01-01T00:30:00+00:00", "2026-01-01T01:00:00+00:00"]
    updated = as_json("schedule", "update", "hourly", "--interval", "1h30m")
    assert isinstance(updated, dict)
    described = as_json("schedule", "describe", "hourly")
    assert isinstance(described, dict) and described["definition"]["interval_second"] == "PT1H30M"
    bad = sundial("schedule", "preview", "--interval", "30x")
    assert bad.code == 2 and "--interval '30x' is not a duration" in bad.err
    step = sundial("schedule", "preview", "--cron", "*/61 * * * *")
    assert step.code == 2 and "steps by 61, more than the largest minute (59)" in step.err
    missing = sundial("run", f"{flow}:needs")
    assert missing.code == 2 and "pipeline 'needs' needs 'n'" in missing.err
    assert "Fix: pass --param n=VALUE" in missing.err and "call it as" not in missing.err
    # A Schedule's refusal read through flags: the fix names the flags the user types.
    for args, words in ((("--interval", "0"), "--interval 1800"),
                        ((), '--cron "5 14 * * 3"'),
                        (("--interval", "60", "--jitter", "-5"), "--jitter 30"),
                        (("--interval", "60", "--catchup-window", "0"), "--catchup-window 1d"),
                        (("--cron", "0 * * * *", "--start", "2026-01-02T00:00",
                          "--end", "2026-01-01T00:00"), "later than --start")):
        refused = sundial("schedule", "preview", *args)
        fix = " ".join(refused.err.split()).partition("Fix:")[2]
        assert refused.code == 2 and words in fix, (args, refused.err)
        assert not any(f in fix for f in ("interval_second", "_time", "timedelta", "jitter=",
                                          "catchup_window", "cron_expression")), fix


def test_delete_asks_on_a_terminal(flow: Path, sqlite_env: Path) -> None:
    """On a terminal, `schedule delete` asks: "n" keeps the schedule, "y" deletes it."""
    import pty

    as_json("schedule", "backfill", "hourly", "2026-11-12T00:00:00+00:00",
            "2026-11-12T02:00:00+00:00")

    def answer(reply: str) -> tuple[int, str]:
        leader, follower = pty.openpty()
        exe = Path(sys.executable).parent / "sundial"
        proc = subprocess.Popen([str(exe), "schedule", "delete", "hourly"], stdin=follower,
                                stdout=follower, stderr=follower, close_fds=True,
                                env={**os.environ, "SUNDIAL_HOME": str(sqlite_env),
                                     "COLUMNS": "200"})
        os.close(follower)
        seen = b""
        while b"[y/N]" not in seen:  # the question comes before anything is deleted
            chunk = os.read(leader, 1024)
            assert chunk, seen
            seen += chunk
        os.write(leader, reply.encode() + b"\n")
        code = proc.wait(60)
        try:
            while chunk := os.read(leader, 1024):
                seen += chunk
        except OSError:  # the terminal is gone once the process has exited
            pass
        os.close(leader)
        return code, seen.decode(errors="replace")

    code, text = answer("n")
    assert "Delete schedule hourly; 3 queued runs would be cancelled? [y/N]" in text
    assert code == 1 and as_json("schedule", "list")
    code, text = answer("y")
    assert code == 0 and "Schedule hourly deleted; 3 queued runs cancelled." in text
    assert as_json("schedule", "list") == []
