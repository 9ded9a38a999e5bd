"""The schedule lifecycle on GitHub Actions through its REST API, against a loopback double.

Each call goes through :class:`GithubActionsOrchestrator` and ``urllib`` to
``github_double``, which checks token, headers, paths and bodies as GitHub documents them.
What these tests cannot show: GitHub's own scheduler firing the workflow, its runners, its
rate limits, and the delay before GitHub notices a newly committed workflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from remote_doubles import next_tick_run, recorded_run, run_failable, training_pipeline, when

from github_actions.github_double import TOKEN, GitHub, github_double
from sundial import Schedule
from sundial.engine.runner import record_version
from sundial.errors import NotFoundError, OrchestratorError, UnsupportedScheduleError
from sundial.orchestrators.base import RunRequest
from sundial.orchestrators.github_actions import (
    GithubActionsOrchestrator,
    GithubActionsSettings,
)
from sundial.orchestrators.native import Deployment
from sundial.store.store import Store

SCHEDULE = Schedule(name="nightly", cron_expression="5 14 * * 3", timezone="Europe/Berlin")


@pytest.fixture
def hub() -> Iterator[GitHub]:
    with github_double() as running:
        yield running


@pytest.fixture
def training(tmp_path: Path, sqlite_env: Path):  # type: ignore[no-untyped-def]
    return training_pipeline(tmp_path, "training_gh")


def backend(hub: GitHub, tmp_path: Path, token: str | None = TOKEN, **more: object
            ) -> GithubActionsOrchestrator:
    settings = GithubActionsSettings.model_validate(
        {"repository": hub.repository, "token": token, "api_url": hub.url, **more})
    return GithubActionsOrchestrator(Store.from_settings(), settings)


def deployment(training, schedule: Schedule = SCHEDULE,  # type: ignore[no-untyped-def]
               paused: bool = False) -> Deployment:
    graph, _pid, version_id = record_version(Store.from_settings(), training, {"lr": 0.3})
    return Deployment(name=schedule.name or "x", schedule_id="sched-1", pipeline="training",
                      version_id=version_id, spec=graph.spec(), params={"lr": 0.3},
                      schedule=schedule, paused=paused)


def request(training, nominal: datetime | None = None) -> RunRequest:  # type: ignore[no-untyped-def]
    return recorded_run(training, {"lr": 0.3}, nominal_at=nominal,
                        trigger="backfill" if nominal else "manual")


def test_lifecycle(hub: GitHub, training, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    orchestrator = backend(hub, tmp_path)
    ref = orchestrator.create_schedule(deployment(training))
    assert ref == "nightly"
    text = hub.files[".github/workflows/nightly.yml"]
    assert yaml.safe_load(text)["on"]["schedule"] == [
        {"cron": "5 14 * * 3", "timezone": "Europe/Berlin"}]
    assert "--schedule-id sched-1" in text
    assert orchestrator.describe_schedule(ref).paused is False

    orchestrator.pause_schedule(ref)
    described = orchestrator.describe_schedule(ref)
    assert described.paused and described.details["state"] == "disabled_manually"
    orchestrator.resume_schedule(ref)
    assert orchestrator.describe_schedule(ref).paused is False

    now = request(training)
    ref_run = orchestrator.trigger_schedule(ref, now)
    (run,) = hub.dispatched()
    assert ref_run == f"nightly.yml#{run['id']}"
    assert run["inputs"]["run_id"] == now.run_id

    ticks = [datetime(2026, 11, d, 13, 5, tzinfo=UTC) for d in (4, 11, 18)]
    refs = orchestrator.backfill_schedule(ref, [request(training, t) for t in ticks])
    assert len(refs) == 3
    assert [r["inputs"]["nominal"] for r in hub.dispatched()][1:] == [
        "2026-11-04T13:05:00+00:00", "2026-11-11T13:05:00+00:00",
        "2026-11-18T13:05:00+00:00"]

    orchestrator.update_schedule(ref, deployment(training, Schedule(
        name="nightly", cron_expression="5 15 * * 3", timezone="Europe/Berlin")))
    assert "5 15 * * 3" in hub.files[".github/workflows/nightly.yml"]

    orchestrator.delete_schedule(ref)
    assert ".github/workflows/nightly.yml" not in hub.files
    assert hub.commits == ["sundial: schedule nightly", "sundial: schedule nightly",
                           "sundial: delete schedule nightly"]
    assert orchestrator.describe_schedule(ref).exists is False
    orchestrator.delete_schedule(ref)  # idempotent


def test_create_paused_and_never_over_another(hub: GitHub, training,  # type: ignore[no-untyped-def]
                                              tmp_path: Path) -> None:
    orchestrator = backend(hub, tmp_path)
    orchestrator.create_schedule(deployment(training, paused=True))
    assert ".github/workflows/nightly.yml" in hub.disabled
    with pytest.raises(Exception, match="exists already"):
        orchestrator.create_schedule(deployment(training))


def test_refused_schedule_registers_nothing(hub: GitHub, training,  # type: ignore[no-untyped-def]
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    from sundial.dispatch import register

    monkeypatch.setenv("SUNDIAL_GITHUB_ACTIONS_API_URL", hub.url)
    monkeypatch.setenv("SUNDIAL_GITHUB_ACTIONS_REPOSITORY", hub.repository)
    monkeypatch.setenv("SUNDIAL_GITHUB_ACTIONS_TOKEN", TOKEN)
    with pytest.raises(UnsupportedScheduleError, match="5 minutes"):
        register(training, {}, Schedule(name="often", cron_expression="*/2 * * * *",
                                        timezone="UTC"), orchestrator="github_actions")
    assert hub.requests == []
    from sundial.client import Client

    assert Client().schedules.list() == []


def test_submit_and_run_status(hub: GitHub, training, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    orchestrator = backend(hub, tmp_path)
    first = request(training)
    ref = orchestrator.submit(first)
    file, _, run = ref.partition("#")
    assert file.startswith("sundial-run-training-v")
    assert hub.runs[int(run)]["inputs"]["run_id"] == first.run_id
    assert orchestrator.run_status(ref).status == "queued"
    hub.runs[int(run)].update(status="in_progress")
    assert orchestrator.run_status(ref).status == "running"
    hub.runs[int(run)].update(status="completed", conclusion="timed_out")
    state = orchestrator.run_status(ref)
    assert state.status == "failed" and state.reason is not None
    assert "timed_out" in state.reason
    hub.runs[int(run)].update(conclusion="success")
    assert orchestrator.run_status(ref).status == "completed"
    # The same version reuses its workflow file: one commit.
    orchestrator.submit(request(training))
    assert len(hub.commits) == 1
    # A server that does not return the run's id: the run is found by its title.
    hub.run_details = False
    third = request(training)
    ref = orchestrator.submit(third)
    assert ref.endswith(f"#sundial:{third.run_id}")
    assert orchestrator.run_status(ref).status == "queued"
    (found,) = [r for r in hub.runs.values() if r["display_title"] == third.run_id]
    found.update(status="completed", conclusion="success")
    assert orchestrator.run_status(ref).status == "completed"


def test_bad_token_and_missing_settings(hub: GitHub, training,  # type: ignore[no-untyped-def]
                                        tmp_path: Path) -> None:
    with pytest.raises(OrchestratorError, match="401 Bad credentials") as info:
        backend(hub, tmp_path, token="wrong").pause_schedule("nightly")
    assert "SUNDIAL_GITHUB_ACTIONS_TOKEN" in info.value.fix
    with pytest.raises(OrchestratorError, match="no GitHub token"):
        backend(hub, tmp_path, token=None).pause_schedule("nightly")
    with pytest.raises(NotFoundError, match="not found"):
        backend(hub, tmp_path).pause_schedule("nightly")


def test_unreachable_github(tmp_path: Path, sqlite_env: Path) -> None:
    orchestrator = GithubActionsOrchestrator(Store.from_settings(), GithubActionsSettings(
        repository="acme/ml", token=TOKEN, api_url="http://127.0.0.1:9"))  # type: ignore[arg-type]
    with pytest.raises(OrchestratorError, match="cannot reach GitHub") as info:
        orchestrator.resume_schedule("nightly")
    assert "SUNDIAL_GITHUB_ACTIONS_API_URL" in info.value.fix


def test_sundial_mode_dispatches_each_tick(hub: GitHub, training,  # type: ignore[no-untyped-def]
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A schedule GitHub cannot honour natively (jitter, max_runs) runs in sundial mode:
    the worker dispatches the tick's recorded run and follows GitHub's verdict. Cannot show:
    GitHub's runners (the test writes the run's conclusion as GitHub would)."""
    from sundial.dispatch import register
    from sundial.scheduler.worker import run_worker

    monkeypatch.setenv("SUNDIAL_POLL_SECONDS", "0.05")
    store = Store.from_settings()
    options = {"repository": hub.repository, "token": TOKEN, "api_url": hub.url}
    done = register(training, {"lr": 0.3}, Schedule(
        name="spread", cron_expression="0 * * * *", timezone="UTC", max_runs=5),
        orchestrator="github_actions", mode="sundial", options=options, store=store)
    assert hub.requests == []  # nothing on GitHub until a tick runs
    run_id = next_tick_run(store)
    # The run times out on GitHub's runner.
    thread = when(lambda: bool(hub.runs), lambda: next(iter(hub.runs.values())).update(
        status="completed", conclusion="timed_out"))
    assert run_worker(run_id) == 1
    thread.join()
    (dispatched,) = hub.dispatched()
    assert dispatched["inputs"]["run_id"] == run_id
    run = store.get_run(run_id)
    assert run.status == "failed" and run.schedule_id == done.info.id
    assert run.error is not None and "timed_out" in run.error


@pytest.mark.parametrize("fail", [False, True])
def test_run_now_end_to_end_on_emulated_runners(hub: GitHub, tmp_path: Path,
                                                sqlite_env: Path, fail: bool) -> None:
    """Run now through ``sundial.dispatch``: the dispatched workflow's jobs run here as their
    ``run:`` lines say (``runner.run_dispatched``), ``run_status`` follows GitHub's verdict,
    and the job GitHub skipped after a failure is recorded skipped. Cannot show: GitHub's
    runners, checkout and setup-python."""
    from github_actions.runner import run_dispatched

    hub.runner = run_dispatched
    options = {"repository": hub.repository, "token": TOKEN, "api_url": hub.url,
               "install": "python -c 'import sundial'"}
    state, record = run_failable(tmp_path, "github_actions", options, fail)
    assert str(record.external_id).startswith("sundial-run-flow-v")
    if fail:
        assert "concluded failure" in str(state.reason)
