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

from github_actions.github_double import TOKEN, GitHub, github_double
from loopback import recorded_run, training_pipeline
from sundial import Schedule
from sundial.engine.runner import record_version
from sundial.errors import NotFoundError, OrchestratorError, UnsupportedScheduleError
from sundial.orchestrators.base import Deployment
from sundial.orchestrators.github_actions import GithubActionsOrchestrator, GithubSettings
from sundial.store.store import Store

SCHEDULE = Schedule(name="nightly", cron_expression="5 14 * * 3", timezone="Europe/Berlin")


@pytest.fixture
def hub() -> Iterator[GitHub]:
    with github_double() as running:
        yield running


@pytest.fixture
def training(tmp_path: Path, sqlite_env: Path):  # type: ignore[no-untyped-def]
    return training_pipeline(tmp_path, "training_gh")


def backend(hub: GitHub, tmp_path: Path, token: str | None = TOKEN
            ) -> GithubActionsOrchestrator:
    return GithubActionsOrchestrator(None, GithubSettings(
        repository=hub.repository, token=token, api_url=hub.url, repo_dir=tmp_path))


def deployment(training, schedule: Schedule = SCHEDULE,  # type: ignore[no-untyped-def]
               paused: bool = False) -> Deployment:
    graph, _pid, version_id = record_version(Store.from_settings(), training, {"lr": 0.3})
    return Deployment(name=str(schedule.name), schedule_id="s-1", pipeline=training.name,
                      version_id=version_id, spec=graph.spec(), params={"lr": 0.3},
                      schedule=schedule, paused=paused)


def test_lifecycle(hub: GitHub, training, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    orchestrator = backend(hub, tmp_path)
    ref = orchestrator.create_schedule(deployment(training))
    assert ref == "nightly"
    text = hub.files[".github/workflows/nightly.yml"]
    assert yaml.safe_load(text)["on"]["schedule"] == [
        {"cron": "5 14 * * 3", "timezone": "Europe/Berlin"}]
    assert orchestrator.describe_schedule(ref).paused is False

    orchestrator.pause_schedule(ref)
    assert orchestrator.describe_schedule(ref).details["state"] == "disabled_manually"
    orchestrator.resume_schedule(ref)
    assert orchestrator.describe_schedule(ref).paused is False

    at = datetime(2026, 11, 25, 13, 5, tzinfo=UTC)
    manual = recorded_run(training, {"lr": 0.3}, nominal_at=at)
    run_id = int(orchestrator.trigger_schedule(ref, manual).partition("#")[2])
    assert hub.runs[run_id]["inputs"] == {"nominal": "2026-11-25T13:05:00+00:00",
                                          "run_id": manual.run_id}

    ticks = SCHEDULE.preview(3, after=datetime(2026, 11, 1, tzinfo=UTC))
    orchestrator.backfill_schedule(ref, [recorded_run(training, {"lr": 0.3}, nominal_at=t)
                                         for t in ticks])
    assert [t.isoformat() for t in ticks] == [
        "2026-11-04T14:05:00+01:00", "2026-11-11T14:05:00+01:00",
        "2026-11-18T14:05:00+01:00"]
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


def test_create_paused_and_never_over_another(hub: GitHub, training,  # type: ignore[no-untyped-def]
                                              tmp_path: Path) -> None:
    orchestrator = backend(hub, tmp_path)
    orchestrator.create_schedule(deployment(training, paused=True))
    assert ".github/workflows/nightly.yml" in hub.disabled
    with pytest.raises(Exception, match="exists already"):
        orchestrator.create_schedule(deployment(training))


def test_refused_schedule_touches_nothing(hub: GitHub, training,  # type: ignore[no-untyped-def]
                                         tmp_path: Path) -> None:
    with pytest.raises(UnsupportedScheduleError, match="5 minutes"):
        backend(hub, tmp_path).create_schedule(deployment(training, Schedule(
            name="often", cron_expression="*/2 * * * *", timezone="UTC")))
    assert hub.requests == []


def test_submit_and_run_status(hub: GitHub, training, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    orchestrator = backend(hub, tmp_path)
    ref = orchestrator.submit(recorded_run(training, {"lr": 0.3}))
    file, _, run = ref.partition("#")
    assert file.startswith("sundial-run-training-v")
    assert orchestrator.run_status(ref).status == "queued"
    hub.runs[int(run)].update(status="completed", conclusion="failure")
    assert orchestrator.run_status(ref).status == "failed"
    hub.runs[int(run)].update(conclusion="success")
    assert orchestrator.run_status(ref).status == "completed"
    # The same version and parameters reuse their workflow file: one commit.
    orchestrator.submit(recorded_run(training, {"lr": 0.3}))
    assert len(hub.commits) == 1


def test_bad_token_and_missing_settings(hub: GitHub, training,  # type: ignore[no-untyped-def]
                                        tmp_path: Path) -> None:
    with pytest.raises(OrchestratorError, match="401 Bad credentials") as info:
        backend(hub, tmp_path, token="wrong").pause_schedule("nightly")
    assert "SUNDIAL_GITHUB_ACTIONS_TOKEN" in info.value.fix
    with pytest.raises(OrchestratorError, match="no GitHub token"):
        backend(hub, tmp_path, token=None).pause_schedule("nightly")
    with pytest.raises(NotFoundError, match="not found"):
        backend(hub, tmp_path).pause_schedule("nightly")


def test_unreachable_github(tmp_path: Path) -> None:
    orchestrator = GithubActionsOrchestrator(None, GithubSettings(
        repository="acme/ml", token=TOKEN, api_url="http://127.0.0.1:9", repo_dir=tmp_path))
    with pytest.raises(OrchestratorError, match="cannot reach GitHub") as info:
        orchestrator.resume_schedule("nightly")
    assert "SUNDIAL_GITHUB_ACTIONS_API_URL" in info.value.fix
