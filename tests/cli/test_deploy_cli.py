"""`sundial deploy airflow`: the DAG file is written, or the refusal names the fields."""

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


def deploy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "flow.py").write_text(FLOW)
    env = {**os.environ, "SUNDIAL_HOME": str(tmp_path / "home")}
    env.pop("SUNDIAL_DATABASE_URL", None)
    exe = Path(sys.executable).parent / "sundial"
    return subprocess.run([str(exe), "deploy", "airflow", f"{tmp_path / 'flow.py'}:deployed",
                           "--dags-folder", str(tmp_path / "dags"), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_deploy_writes_a_dag_file(tmp_path: Path) -> None:
    done = deploy(tmp_path, "--cron", "5 14 * * 3", "--tz", "Europe/Berlin", "--catchup",
                  "--param", "n=3")
    assert done.returncode == 0, done.stderr
    files = list((tmp_path / "dags").glob("*.py"))
    assert len(files) == 1
    text = files[0].read_text()
    assert "CronTriggerTimetable" in text and "Europe/Berlin" in text
    assert "import sundial" not in text and "from sundial" not in text


def test_deploy_refuses_what_airflow_cannot_express(tmp_path: Path) -> None:
    done = deploy(tmp_path, "--interval", "60", "--overlap", "skip", "--catchup")
    assert done.returncode == 2
    assert "overlap=skip" in done.stderr and "--sundial-mode" in done.stderr
    assert "Traceback" not in done.stderr
    assert not list((tmp_path / "dags").glob("*.py"))  # nothing written


def test_deploy_reads_an_interval_as_people_write_it(tmp_path: Path) -> None:
    done = deploy(tmp_path, "--interval", "30m", "--start", "2026-01-01T00:00:00+00:00")
    assert done.returncode == 0, done.stderr
    (dag,) = (tmp_path / "dags").glob("*.py")
    assert "'interval_second': 'PT30M'" in dag.read_text()
    bad = deploy(tmp_path, "--interval", "30 minutes")
    assert bad.returncode == 2 and "--interval '30 minutes' is not a duration" in bad.stderr
