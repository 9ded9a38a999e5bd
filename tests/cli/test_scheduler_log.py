"""What `sundial scheduler` says about runs, as a user sees it: real processes, real workers.

One line per run end (schedule, nominal time, status, duration, failing step, the error's last
line); `-v` adds a line per step; `--log-format json` gives one object per line. Also
`sundial scheduler status` and a step's `logging.info` reaching `sundial runs logs`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from receivers import smtp_server, webhook_server

FLOW = '''
import logging
import os
from sundial import pipeline, step

log = logging.getLogger("flow")


def note(exception: BaseException, context) -> None:
    with open(os.environ["HOOK_FILE"], "a") as out:
        out.write(f"{context.run_id} {context.status}: {str(exception).splitlines()[0]}\\n")

@step
def load(n: int = 3) -> list[int]:
    log.info("loading %d rows", n)
    return list(range(n))

@step
def total(x: list[int], boom: bool = False) -> int:
    if boom:
        raise RuntimeError("boom went the step")
    return sum(x)

@pipeline(on_failure=note)
def nightly(n: int = 3, boom: bool = False):
    total(load(n=n), boom=boom)
'''


def sundial(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "sundial"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env,
                          timeout=180)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Two hourly ticks in the past (catch-up) of a pipeline whose second step fails."""
    (tmp_path / "flow.py").write_text(FLOW)
    env = {**os.environ, "SUNDIAL_HOME": str(tmp_path / "home"), "COLUMNS": "200",
           "HOOK_FILE": str(tmp_path / "hook.txt")}
    for key in [k for k in env if k.startswith("SUNDIAL_") and k != "SUNDIAL_HOME"]:
        env.pop(key)
    start = datetime.now(UTC) - timedelta(hours=1, minutes=1)
    register = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "from datetime import datetime, timedelta\n"
        "from flow import nightly\n"
        "from sundial import Schedule\n"
        "nightly.run(schedule=Schedule(name='failing', interval_second=3600, catchup=True,\n"
        f"    start_time=datetime.fromisoformat({start.isoformat()!r}),\n"
        f"    end_time=datetime.fromisoformat({start.isoformat()!r}) + timedelta(hours=1)),\n"
        "    boom=True)\n")
    subprocess.run([sys.executable, "-c", register], env=env, check=True, timeout=120)
    return env


def test_each_run_end_is_logged_with_its_failing_step_and_error(env: dict[str, str]) -> None:
    ran = sundial(env, "scheduler", "--exit-when-idle", "-v")
    assert ran.returncode == 0, ran.stderr
    ends = [ln for ln in ran.stderr.splitlines() if "of schedule failing" in ln]
    assert len(ends) == 2, ran.stderr
    for line in ends:
        assert re.search(r"ERROR +run [0-9a-f]{8} of schedule failing \(nominal "
                         r"\d{4}-\d\d-\d\dT[0-9:.]+\+00:00\): failed in \d+\.\d\ds at step "
                         r"'total': RuntimeError: boom went the step$", line), line
    # -v: the steps of each run, the failed one with its error.
    assert len(re.findall(r"step load: (completed|cached)", ran.stderr)) == 2
    assert ran.stderr.count("step total: failed in") == 2
    # The schedule ran out of ticks; it no longer claims to be "completed" after failures.
    assert "schedule failing: no more ticks" in ran.stderr
    assert "schedule failing: completed" not in ran.stderr
    # The pipeline's on_failure hook ran in each worker.
    noted = Path(env["HOOK_FILE"]).read_text().splitlines()
    assert len(noted) == 2 and all("failed: run " in n and "at step 'total'" in n for n in noted)

    run_id = next(r["id"] for r in json.loads(sundial(env, "runs", "list", "--json").stdout)
                  if {"name": "load", "status": "completed"} in r["steps"])  # not cached
    logs = sundial(env, "runs", "logs", run_id, "--step", "load")
    assert logs.returncode == 0 and "INFO flow: loading 3 rows" in logs.stdout

    status = sundial(env, "scheduler", "status", "--json")
    assert status.returncode == 1  # the only replica stopped: none is alive
    replicas = json.loads(status.stdout)
    assert replicas["alive"] == 0 and [r["state"] for r in replicas["replicas"]] == ["stopped"]
    human = sundial(env, "scheduler", "status")
    assert "No scheduler is alive" in human.stdout and "sundial up" in human.stdout


def test_json_log_and_alerts_by_webhook_and_email(env: dict[str, str]) -> None:
    with webhook_server() as hook, smtp_server() as box:
        ran = sundial({**env, "SUNDIAL_ALERT_WEBHOOK_URL": hook.url,
                       "SUNDIAL_ALERT_EMAIL_TO": "oncall@example.org",
                       "SUNDIAL_SMTP_HOST": box.host, "SUNDIAL_SMTP_PORT": str(box.port)},
                      "scheduler", "--exit-when-idle", "--log-format", "json")
        assert ran.returncode == 0, ran.stderr
        # Alerts queued at the end are delivered before the scheduler exits.
        assert len(hook.bodies) == 2 and len(box.messages) == 2
    assert {b["kind"] for b in hook.bodies} == {"run_failed"}
    assert {b["failed_step"] for b in hook.bodies} == {"total"}
    assert all("of schedule failing" in str(m["Subject"]) for m in box.messages)
    records = [json.loads(line) for line in ran.stderr.splitlines()]
    ends = [r for r in records if r.get("event") == "run_end"]
    assert len(ends) == 2
    for end in ends:
        assert end["level"] == "error" and end["schedule"] == "failing"
        assert end["status"] == "failed" and end["failed_step"] == "total"
        assert end["error"] == "RuntimeError: boom went the step"
        assert end["duration"] >= 0 and end["nominal_at"].endswith("+00:00")
        assert end["trigger"] in ("live", "catchup")
    bad = sundial(env, "scheduler", "--log-format", "xml")
    assert bad.returncode == 2 and "--log-format 'xml'" in bad.stderr and "text, json" in bad.stderr


def test_a_run_that_fails_before_any_step_shows_why(tmp_path: Path) -> None:
    """Its pipeline file is gone when the tick fires: the log line, `runs show` and
    `runs logs` say so, with a fix that fits a scheduled run."""
    gone = tmp_path / "gone"
    gone.mkdir()
    (gone / "vanishing.py").write_text(FLOW)
    env = {**os.environ, "SUNDIAL_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    env.pop("SUNDIAL_DATABASE_URL", None)
    register = (
        f"import sys; sys.path.insert(0, {str(gone)!r})\n"
        "from datetime import datetime, timedelta, timezone\n"
        "from vanishing import nightly\n"
        "from sundial import Schedule\n"
        "now = datetime.now(timezone.utc)\n"
        "nightly.run(schedule=Schedule(name='orphan', run_once_start_time=now))\n")
    subprocess.run([sys.executable, "-c", register], env=env, check=True, timeout=120)
    (gone / "vanishing.py").unlink()
    ran = sundial(env, "scheduler", "--exit-when-idle")
    assert ran.returncode == 0, ran.stderr
    assert re.search(r"run [0-9a-f]{8} of schedule orphan \(nominal [^)]+\): failed in "
                     r"[0-9.]+s: could not load pipeline 'nightly' from .*vanishing.py: "
                     r"target .* does not exist$", ran.stderr, re.M), ran.stderr
    run_id = json.loads(sundial(env, "runs", "list", "--json").stdout)[0]["id"]
    shown = sundial(env, "runs", "show", run_id)
    assert "error: could not load pipeline 'nightly'" in shown.stdout
    assert "Fix: runs load the pipeline from where it was registered" in shown.stdout
    assert "write TARGET" not in shown.stdout
    logs = sundial(env, "runs", "logs", run_id)
    assert "could not load pipeline 'nightly'" in logs.stdout and "Traceback" in logs.stdout


SLOW = '''
import time
from sundial import pipeline, step

@step
def slow() -> int:
    time.sleep(120)
    return 1

@pipeline
def sleepy():
    slow()
'''


def test_runs_cancel_stops_a_running_scheduled_run(tmp_path: Path) -> None:
    (tmp_path / "sleepy.py").write_text(SLOW)
    env = {**os.environ, "SUNDIAL_HOME": str(tmp_path / "home"), "COLUMNS": "200",
           "SUNDIAL_HEARTBEAT_SECONDS": "0.2"}
    env.pop("SUNDIAL_DATABASE_URL", None)
    register = (f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
                "from datetime import datetime, timezone\nfrom sleepy import sleepy\n"
                "from sundial import Schedule\n"
                "sleepy.run(schedule=Schedule(name='sleepy', "
                "run_once_start_time=datetime.now(timezone.utc)))\n")
    subprocess.run([sys.executable, "-c", register], env=env, check=True, timeout=120)
    log = tmp_path / "scheduler.log"
    exe = Path(sys.executable).parent / "sundial"
    with open(log, "w") as out:
        scheduler = subprocess.Popen([str(exe), "scheduler", "--exit-when-idle"], stdout=out,
                                     stderr=out, env=env)
    try:
        run_id, pause = None, threading.Event()
        for _ in range(600):  # bounded: until the run is running (a minute at most)
            runs = json.loads(sundial(env, "runs", "list", "--json").stdout or "[]")
            if runs and runs[0]["status"] == "running":
                run_id = runs[0]["id"]
                break
            pause.wait(0.1)
        assert run_id is not None, log.read_text()
        cancelled = sundial(env, "runs", "cancel", run_id)
        assert cancelled.returncode == 0 and "is cancelling" in cancelled.stdout
        assert scheduler.wait(120) == 0
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
    assert re.search(rf"WARNING +run {run_id[:8]} of schedule sleepy \(nominal [^)]+\): "
                     r"cancelled in [0-9.]+s$", log.read_text(), re.M), log.read_text()
    assert json.loads(sundial(env, "runs", "show", run_id, "--json").stdout)["status"] == \
        "cancelled"
