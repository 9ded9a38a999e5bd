"""`sundial step run`: a run executed step by step looks, in the store, like a local run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sundial import Client
from sundial.engine.runner import record_version
from sundial.store.store import Store

FLOW = '''
from typing import Annotated
from sundial import pipeline, step

@step
def load(n: int = 3) -> tuple[Annotated[list[int], "x"], Annotated[int, "size"]]:
    print("loading", n)
    return list(range(n)), n

@step
def total(x: list[int], size: int) -> int:
    import os
    if os.environ.get("FAIL_TOTAL") == "1":
        raise RuntimeError("total failed on purpose")
    return sum(x) + size

@pipeline
def flow(n: int = 3):
    x, size = load(n=n)
    total(x, size)
'''


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    path = tmp_path / "flow_mod.py"
    path.write_text(FLOW)
    return path


def step_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "sundial"
    return subprocess.run([str(exe), "step", "run", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_step_by_step_equals_a_local_run(sundial_env: Path, flow_file: Path) -> None:
    from sundial.engine.loader import load_pipeline

    flow = load_pipeline(f"{flow_file}:flow")
    local = flow(n=4)
    store = Store(os.environ["SUNDIAL_DATABASE_URL"])
    _graph, _pid, version_id = record_version(store, flow, {"n": 4})
    key = ["--version-id", str(version_id), "--external-id", "airflow:flow:manual__1",
           "--params", json.dumps({"n": 4}), "--nominal", "2026-11-23T14:05:00+00:00"]
    first = step_cli(*key, "load")
    assert first.returncode == 0, first.stderr
    second = step_cli(*key, "total")
    assert second.returncode == 0, second.stderr
    remote = [r for r in Client().list_runs() if r.id != local.id]
    assert len(remote) == 1  # both tasks found the same run through the external key
    run = Client().get_run(remote[0].id)
    assert run.status == "completed" and run.params == {"n": 4}
    assert run.nominal_at.isoformat() == "2026-11-23T14:05:00+00:00"
    assert [(s.name, s.status) for s in run.steps.values()] == [
        ("load", "cached"), ("total", "cached")]  # same code and inputs as the local run
    assert run.steps["total"].output.load() == local.steps["total"].output.load() == 10
    assert run.steps["total"].inputs["x"].id == run.steps["load"].outputs["x"].record.id


def test_failure_retry_and_missing_upstream(sundial_env: Path, flow_file: Path) -> None:
    from sundial.engine.loader import load_pipeline

    flow = load_pipeline(f"{flow_file}:flow").with_options(enable_cache=False)
    store = Store(os.environ["SUNDIAL_DATABASE_URL"])
    _graph, _pid, version_id = record_version(store, flow, {"n": 2})
    key = ["--version-id", str(version_id), "--external-id", "k-2", "--params", '{"n": 2}']
    early = step_cli(*key, "total")
    assert early.returncode == 2 and "needs step 'load', which is not run yet" in early.stderr
    run_id = Client().list_runs()[0].id
    assert step_cli("--run-id", run_id, "load").returncode == 0
    failed = step_cli("--run-id", run_id, "total", env={"FAIL_TOTAL": "1"})
    assert failed.returncode == 1 and "failed" in failed.stderr
    run = Client().get_run(run_id)
    assert run.status == "failed" and "total failed on purpose" in run.steps["total"].traceback
    retried = step_cli("--run-id", run_id, "total")  # the orchestrator's retry
    assert retried.returncode == 0, retried.stderr
    run = Client().get_run(run_id)
    assert run.status == "completed" and run.steps["total"].output.load() == 3
    again = step_cli("--run-id", run_id, "load")  # done already: nothing happens
    assert again.returncode == 0 and "completed" in again.stdout
    unknown = step_cli("--run-id", run_id, "nope")
    assert unknown.returncode == 2 and "has no step 'nope'" in unknown.stderr
