"""The LocalDocker backend through the contract, with real containers: a run now, and a
schedule that sundial's scheduler fires (sundial mode) with a short interval."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sundial import Schedule
from sundial.dispatch import register, run_now
from sundial.engine.loader import load_pipeline
from sundial.errors import OrchestratorError
from sundial.images import ContainerEngine
from sundial.orchestrators.base import RunState
from sundial.orchestrators.registry import get_orchestrator
from sundial.store.store import Store

PROJECT = Path(__file__).parent / "project"


def _follow(store: Store, ref: str, seconds: float = 120) -> RunState:
    backend = get_orchestrator("local_docker", store)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = backend.run_status(ref)
        if state.finished:
            return state
        time.sleep(0.5)
    raise AssertionError(f"run {ref} did not end within {seconds}s")


def test_run_now_in_containers(sqlite_env: Path, engine: ContainerEngine, image: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNDIAL_LOCAL_DOCKER_IMAGE", image)
    pipeline = load_pipeline(f"{PROJECT / 'pipelines.py'}:numbers")
    run = run_now(pipeline, {"n": 3}, orchestrator="local_docker")
    store = Store.from_settings()
    ref = store.get_run(run.id).external_id
    assert ref is not None and ref.startswith(f"{run.id}@")
    assert _follow(store, ref).status == "completed"
    record = store.get_run(run.id)
    assert record.status == "completed" and record.orchestrator == "local_docker"
    assert [s.status for s in record.steps.values()] == ["completed", "completed"]


def test_a_missing_image_is_one_clear_error(sqlite_env: Path, engine: ContainerEngine,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNDIAL_LOCAL_DOCKER_IMAGE", "localhost/no-such-image:1")
    pipeline = load_pipeline(f"{PROJECT / 'pipelines.py'}:numbers")
    with pytest.raises(OrchestratorError, match="image 'localhost/no-such-image:1' does not "
                       "exist") as info:
        run_now(pipeline, {"n": 3}, orchestrator="local_docker")
    assert "sundial build" in info.value.fix
    (run,) = Store.from_settings().list_runs()
    assert run.status == "failed" and "not submitted" in (run.error or "")


def test_a_schedule_fires_on_sundials_scheduler(sqlite_env: Path, engine: ContainerEngine,
                                                image: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Sundial mode: the scheduler records each tick and submits its run to LocalDocker."""
    from sundial.scheduler.service import SchedulerService

    monkeypatch.setenv("SUNDIAL_LOCAL_DOCKER_IMAGE", image)
    pipeline = load_pipeline(f"{PROJECT / 'pipelines.py'}:numbers")
    start = datetime.now(UTC) + timedelta(seconds=1)
    done = register(pipeline, {"n": 2}, Schedule(name="every-3s", interval_second=3,
                                                 start_time=start, max_runs=2),
                    orchestrator="local_docker")
    assert done.info.record.native_ref is None  # no scheduler of its own: sundial mode
    store = Store.from_settings()
    stop = threading.Event()
    timer = threading.Timer(150, stop.set)  # a bound, should the runs never end
    timer.start()
    try:
        SchedulerService(store).serve(exit_when_idle=True, stop=stop, install_signals=False)
    finally:
        timer.cancel()
    runs = sorted(store.list_runs(), key=lambda r: r.nominal_at or start)
    assert [r.status for r in runs] == ["completed", "completed"]
    assert [r.nominal_at for r in runs] == [start, start + timedelta(seconds=3)]
    assert all(r.orchestrator == "local_docker" and r.schedule_id == done.info.id for r in runs)
    assert all((r.external_id or "").startswith(f"{r.id}@") for r in runs)  # via submit


def test_cancel_stops_the_running_container(sqlite_env: Path, engine: ContainerEngine,
                                            image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``cancel`` (overlap="replace", a deleted schedule) ends the driver, which kills the
    step's container and records the run cancelled."""
    import subprocess

    from sundial.orchestrators.local_docker.containers import container_name

    monkeypatch.setenv("SUNDIAL_LOCAL_DOCKER_IMAGE", image)
    pipeline = load_pipeline(f"{PROJECT / 'pipelines.py'}:sleepy")
    run = run_now(pipeline, {"seconds": 120.0}, orchestrator="local_docker")
    store = Store.from_settings()
    ref = store.get_run(run.id).external_id
    assert ref is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        nap = store.get_run(run.id).steps.get("nap")
        if nap is not None and nap.status == "running":
            break
        time.sleep(0.2)
    get_orchestrator("local_docker", store).cancel(ref)
    state = _follow(store, ref, seconds=60)
    assert state.status == "cancelled"
    assert "cancelled while step 'nap' ran" in (state.reason or "")
    listed = subprocess.run([engine.path, "ps", "-a", "--format", "{{.Names}}"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert container_name(run.id, "nap") not in listed
