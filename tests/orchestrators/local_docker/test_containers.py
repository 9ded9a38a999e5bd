"""Steps in real containers: a run end to end, and a container killed from outside."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from sundial.config import Settings
from sundial.engine.loader import load_pipeline
from sundial.engine.runner import json_params, record_version
from sundial.images import ContainerEngine
from sundial.orchestrators.local_docker.containers import (
    ContainerSpec,
    container_name,
    execute_in_containers,
    store_access,
)
from sundial.store.store import Store

PROJECT = Path(__file__).parent / "project"


def _recorded_run(store: Store, name: str, params: dict[str, object]) -> tuple[str, int]:
    pipeline = load_pipeline(f"{PROJECT / 'pipelines.py'}:{name}")
    _graph, pipeline_id, version_id = record_version(store, pipeline, params)
    run_id = str(uuid.uuid4())
    store.create_run(run_id=run_id, pipeline_id=pipeline_id, version_id=version_id,
                     params=json_params(params), status="queued", orchestrator="local_docker")
    return run_id, version_id


def _spec(image: str) -> ContainerSpec:
    env, mounts, _network = store_access(Settings.from_env())
    return ContainerSpec(image=image, env=env, mounts=mounts)


def test_a_run_end_to_end_in_containers(sqlite_env: Path, engine: ContainerEngine,
                                        image: str) -> None:
    store = Store.from_settings()
    run_id, version = _recorded_run(store, "numbers", {"n": 5})
    lines: list[str] = []
    assert execute_in_containers(store, engine, _spec(image), run_id, version,
                                 on_line=lines.append) == "completed"
    run = store.get_run(run_id)
    assert run.status == "completed"
    assert [s.status for s in run.steps.values()] == ["completed", "completed"]
    assert "adding 5 numbers" in (run.steps["total"].logs or "")
    assert any("step total of run" in line for line in lines)  # the container's own output


def test_a_container_killed_from_outside_fails_its_step(
        sqlite_env: Path, engine: ContainerEngine, image: str) -> None:
    store = Store.from_settings()
    run_id, version = _recorded_run(store, "sleepy", {"seconds": 120.0})
    name = container_name(run_id, "nap")

    def kill_when_napping() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            step = store.get_run(run_id).steps.get("nap")
            if step is not None and step.status == "running":
                subprocess.run([engine.path, "kill", name], capture_output=True, check=False)
                return
            time.sleep(0.2)

    killer = threading.Thread(target=kill_when_napping)
    killer.start()
    status = execute_in_containers(store, engine, _spec(image), run_id, version)
    killer.join()
    run = store.get_run(run_id)
    assert status == run.status == "failed"
    assert "exit code 137: killed by SIGKILL" in (run.steps["nap"].error or "")
    assert run.steps["nap"].status == "failed"
    assert run.steps["after"].status == "skipped"
    assert run.steps["make"].status == "completed"  # the independent branch still ran
    assert "step 'nap'" in (run.error or "")


@pytest.mark.parametrize("code,words", [(137, "SIGKILL"), (143, "SIGTERM"), (125, "could not")])
def test_exit_reasons(code: int, words: str) -> None:
    from sundial.orchestrators.local_docker.containers import exit_reason

    assert words in exit_reason(code)
