"""`sundial deploy BACKEND TARGET [schedule flags] [backend options]`: one command for every
backend; refusals in flags; no overwrite without --replace; no missing folder without --create;
a changed name is said."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FLOW = '''
from sundial import pipeline, step

@step
def one(n: int = 1) -> int:
    return n

@pipeline
def deployed(n: int = 1):
    one(n=n)
'''


def deploy(tmp_path: Path, backend: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "flow.py").write_text(FLOW)
    env = {**os.environ, "SUNDIAL_HOME": str(tmp_path / "home"),
           # No Airflow is needed to write a DAG file; this one is never called for a create.
           "SUNDIAL_AIRFLOW_EXECUTABLE": str(tmp_path / "no-airflow")}
    env.pop("SUNDIAL_DATABASE_URL", None)
    exe = Path(sys.executable).parent / "sundial"
    return subprocess.run([str(exe), "deploy", backend, f"{tmp_path / 'flow.py'}:deployed",
                           *args], capture_output=True, text=True, env=env, timeout=120,
                          cwd=tmp_path)


def test_deploy_writes_a_dag_file_and_says_what_it_chose(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    done = deploy(tmp_path, "airflow", "--cron", "5 14 * * 3", "--tz", "Europe/Berlin",
                  "--catchup", "--param", "n=3", "--dags-folder", str(dags), "--create",
                  "--name", "weekly report")
    assert done.returncode == 0, done.stderr
    text = (dags / "weekly_report.py").read_text()
    assert "CronTriggerTimetable" in text and "Europe/Berlin" in text
    assert "import sundial" not in text and "from sundial" not in text
    assert "airflow calls it 'weekly_report'" in done.stdout
    # The seeds' example as typed: overlap not given takes Airflow's own way, and says so.
    done = deploy(tmp_path, "airflow", "--cron", "5 14 * * 3", "--option",
                  f"dags_folder={dags}", "--name", "seed")
    assert done.returncode == 0, done.stderr
    assert "overlap (not given): default here:" in done.stdout


def test_deploy_refuses_in_flags_and_writes_nothing(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    done = deploy(tmp_path, "airflow", "--interval", "60", "--overlap", "skip", "--catchup",
                  "--dags-folder", str(dags))
    assert done.returncode == 2
    assert "overlap=skip" in done.stderr and "--sundial-mode" in done.stderr
    assert "schedule_mode" not in done.stderr and "Traceback" not in done.stderr
    done = deploy(tmp_path, "airflow", "--cron", "0 * * * *", "--overlap", "queue",
                  "--dags-folder", str(dags))
    assert "pass --catchup or pass --overlap allow" in done.stderr
    assert not list(dags.glob("*.py"))  # nothing written


def test_missing_folder_unknown_option_and_taken_name(tmp_path: Path) -> None:
    done = deploy(tmp_path, "airflow", "--cron", "0 6 * * *", "--dags-folder",
                  str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "pass --create" in done.stderr
    done = deploy(tmp_path, "airflow", "--cron", "0 6 * * *", "--dag-folder", "x")
    assert "has no option 'dag_folder'" in done.stderr and "--dags-folder" in done.stderr
    assert deploy(tmp_path, "local", "--interval", "30m", "--name", "n1").returncode == 0
    done = deploy(tmp_path, "local", "--interval", "30m", "--name", "n1")
    assert done.returncode == 2 and "--replace" in done.stderr
    done = deploy(tmp_path, "local", "--interval", "45m", "--name", "n1", "--replace")
    assert done.returncode == 0, done.stderr
    done = deploy(tmp_path, "nomad", "--cron", "0 6 * * *")
    assert "no orchestrator named 'nomad'" in done.stderr and "airflow" in done.stderr


def test_deploy_reads_an_interval_as_people_write_it(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    done = deploy(tmp_path, "airflow", "--interval", "30m", "--start",
                  "2026-01-01T00:00:00+00:00", "--dags-folder", str(dags), "--create")
    assert done.returncode == 0, done.stderr
    (dag,) = dags.glob("*.py")
    assert "'interval_second': 'PT30M'" in dag.read_text()
    bad = deploy(tmp_path, "airflow", "--interval", "30 minutes", "--dags-folder", str(dags))
    assert bad.returncode == 2 and "--interval '30 minutes' is not a duration" in bad.stderr
