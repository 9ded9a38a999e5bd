"""The GitHub Actions backend: a schedule becomes a workflow file that GitHub's scheduler fires.

``sundial deploy github_actions`` writes the file into a checkout (the user commits and
pushes it); the orchestrator's own operations go through GitHub's REST API: the workflow file
is committed with the contents API, pause and resume disable and enable the workflow,
trigger and backfill dispatch it with the tick's nominal time, delete removes the file in a
commit. Which Schedule features GitHub honours is ``capabilities``; the combinations are in
``mapping.refusals``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sundial.errors import AlreadyExistsError, NotFoundError, OrchestratorError
from sundial.orchestrators.base import (
    Capability,
    Deployment,
    Orchestrator,
    PlatformSchedule,
    Problem,
    RunRequest,
    RunState,
    RunStatus,
)
from sundial.orchestrators.github_actions.mapping import github_timing, refusals
from sundial.orchestrators.github_actions.settings import GithubSettings
from sundial.orchestrators.github_actions.workflow import (
    HEADER,
    Runner,
    WorkflowSpec,
    compile_workflow,
    workflow_name_for,
)
from sundial.orchestrators.settings import BackendSettings

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline
    from sundial.definition.schedule import Schedule
    from sundial.store.store import Store

__all__ = ["GithubActionsOrchestrator", "deploy_github_actions", "workflow_path"]

N, S = Capability.NATIVE, Capability.SUNDIAL
WORKFLOWS = Path(".github") / "workflows"
#: At most this many ticks in one backfill: each is a workflow run GitHub bills for.
MAX_BACKFILL = 500
_FINISHED: dict[str, RunStatus] = {
    "success": "completed", "failure": "failed", "cancelled": "cancelled",
             "timed_out": "failed", "startup_failure": "failed", "skipped": "completed",
             "neutral": "completed", "stale": "failed", "action_required": "failed"}


class GithubActionsOrchestrator(Orchestrator):
    """GitHub Actions, through workflow files and GitHub's REST API."""

    name: ClassVar[str] = "github_actions"
    description: ClassVar[str] = ("GitHub Actions: the schedule becomes a workflow file, one "
                                  "job per step")
    extra: ClassVar[str | None] = "github_actions"
    capabilities: ClassVar[dict[str, Capability]] = {
        "cron_expression": N,  # on.schedule (5-minute floor, DST caveats refused)
        "interval_second": N,  # as UTC cron entries when exact (see mapping.interval_crons)
        "run_once_start_time": S,  # a schedule has no one-off date
        "start_time": N,  # the tick guard skips earlier ticks
        "end_time": N,  # the tick guard skips later ticks
        "catchup": S,  # GitHub never runs a missed tick (default: none runs, printed)
        "timezone": N,  # on.schedule[].timezone (IANA)
        "overlap=queue": S,  # one pending slot: a third tick cancels the waiting one
        "overlap=skip": S,  # a concurrency group drops the waiting run, not the new one
        "overlap=replace": N,  # concurrency with cancel-in-progress: true
        "overlap=allow": N,  # no concurrency group
        "max_active_runs": N,  # 1 (one concurrency group); more is refused
        "catchup_window": S,
        "jitter": S,
        "max_runs": S,  # GitHub counts no runs
    }

    defaults: ClassVar[dict[str, str]] = {
        "catchup": "default here: GitHub never runs a tick it missed",
        "overlap=queue": "default here: one run waits while one runs; a third tick cancels "
                         "the waiting one (a concurrency group)",
    }
    # Not yet a BackendSettings (issue 12 converts it): read from the environment.
    settings: GithubSettings  # type: ignore[assignment]

    def __init__(self, store: Store | None = None,
                 settings: GithubSettings | BackendSettings | None = None) -> None:
        from sundial.store.store import Store

        self.store = store or Store.from_settings()
        self.settings = settings if isinstance(settings, GithubSettings) \
            else GithubSettings.from_env()

    # -- checking -----------------------------------------------------------------------------
    @classmethod
    def problems(cls, schedule: Schedule) -> list[Problem]:
        return [Problem(tuple(r.fields), r.reason, advice=r.fix)
                for r in refusals(schedule, datetime.now(UTC))]

    # -- runs ---------------------------------------------------------------------------------
    def submit(self, run: RunRequest) -> str:
        """Commit a dispatch-only workflow for this pipeline version (once) and dispatch it
        with the run's id; returns ``<workflow file>#<run id>`` (the run id when GitHub says
        it, else empty)."""
        api = self.settings.api()
        spec, _source = self.store.version_source(run.version_id)
        digest = hashlib.sha256(json.dumps(dict(run.params), sort_keys=True,
                                           default=repr).encode())
        name = workflow_name_for(f"sundial-run-{run.pipeline}-v{run.version_id}-"
                                 f"{digest.hexdigest()[:8]}")
        path = (WORKFLOWS / f"{name}.yml").as_posix()
        if api.file_sha(path, self.settings.branch) is None:
            api.put_file(path, self.settings.branch, compile_workflow(WorkflowSpec(
                name=name, pipeline=run.pipeline, version_id=run.version_id,
                params=dict(run.params), steps=spec["steps"], schedule=None,
                runner=self.settings.runner)),
                f"sundial: run workflow for {run.pipeline}")
        found = api.dispatch(f"{name}.yml", self.settings.branch,
                             {"nominal": (run.nominal_at or datetime.now(UTC)).isoformat(),
                              "run_id": run.run_id})
        return f"{name}.yml#{found or ''}"

    def run_status(self, ref: str) -> RunState:
        """The sundial state of the run ``ref`` (``<file>#<run id>``)."""
        _file, _, run = ref.partition("#")
        if not run:
            raise OrchestratorError(f"run reference {ref!r} has no GitHub run id",
                                    "find the run in the workflow's Actions tab")
        answer = self.settings.api().run(int(run))
        if answer.get("status") != "completed":
            return RunState("queued" if answer.get("status") in (
                "queued", "waiting", "pending", "requested") else "running")
        conclusion = str(answer.get("conclusion"))
        status = _FINISHED.get(conclusion, "failed")
        return RunState(status, None if status == "completed"
                        else f"GitHub run {run} concluded {conclusion}")

    # -- native schedules ---------------------------------------------------------------------
    def create_schedule(self, deployment: Deployment) -> str:
        return self._install(deployment, replace=False)

    def update_schedule(self, ref: str, deployment: Deployment) -> None:
        self._install(deployment, replace=True, name=ref)

    def pause_schedule(self, ref: str) -> None:
        self.settings.api().disable(f"{ref}.yml")

    def resume_schedule(self, ref: str) -> None:
        self.settings.api().enable(f"{ref}.yml")

    def delete_schedule(self, ref: str) -> None:
        path = (WORKFLOWS / f"{ref}.yml").as_posix()
        self.settings.api().delete_file(path, self.settings.branch,
                                        f"sundial: delete schedule {ref}")
        (self.settings.repo_dir / path).unlink(missing_ok=True)

    def trigger_schedule(self, ref: str, run: RunRequest) -> str:
        """A manual run now (or for the run's nominal time): dispatches the workflow."""
        at = (run.nominal_at or datetime.now(UTC)).astimezone(UTC)
        found = self.settings.api().dispatch(f"{ref}.yml", self.settings.branch,
                                             {"nominal": at.isoformat(), "run_id": run.run_id})
        return f"{ref}.yml#{found or ''}"

    def backfill_schedule(self, ref: str, runs: Sequence[RunRequest]) -> list[str]:
        """Dispatch one run per recorded tick, oldest first, each with its nominal time. GitHub
        runs them side by side: each dispatch has a concurrency group of its own (see
        ``workflow.compile_workflow``)."""
        if len(runs) > MAX_BACKFILL:
            raise OrchestratorError(f"backfill of {len(runs)} ticks is more than "
                                    f"{MAX_BACKFILL}", "backfill a shorter range at a time")
        return [self.trigger_schedule(ref, run) for run in runs]

    def describe_schedule(self, ref: str) -> PlatformSchedule:
        """GitHub's own view: the workflow's state and its newest runs."""
        api = self.settings.api()
        try:
            workflow = api.workflow(f"{ref}.yml")
        except NotFoundError:
            return PlatformSchedule(ref=ref, exists=False)
        runs = [{"id": r.get("id"), "event": r.get("event"), "status": r.get("status"),
                 "conclusion": r.get("conclusion"), "created_at": r.get("created_at")}
                for r in api.runs(f"{ref}.yml", per_page=5)]
        return PlatformSchedule(ref=ref, exists=True, paused=workflow.get("state") != "active",
                                details={"state": workflow.get("state"),
                                         "path": workflow.get("path"), "runs": runs})

    def _install(self, deployment: Deployment, *, replace: bool, name: str | None = None
                 ) -> str:
        self.check_schedule(deployment.schedule, deployment.defaulted or None)
        api = self.settings.api()
        ident = name or workflow_name_for(deployment.name)
        path = (WORKFLOWS / f"{ident}.yml").as_posix()
        if not replace and api.file_sha(path, self.settings.branch) is not None:
            raise AlreadyExistsError(
                f"workflow {path} exists already on {self.settings.repository}@"
                f"{self.settings.branch}", "give the schedule another name, or update it")
        text = compile_workflow(WorkflowSpec(
            name=ident, pipeline=deployment.pipeline, version_id=deployment.version_id,
            params=dict(deployment.params), steps=deployment.spec["steps"],
            schedule=deployment.schedule, runner=self.settings.runner))
        api.put_file(path, self.settings.branch, text, f"sundial: schedule {ident}")
        if deployment.paused:
            api.disable(f"{ident}.yml")
        return ident


def workflow_path(repo_dir: str | os.PathLike[str], name: str) -> Path:
    return Path(repo_dir) / WORKFLOWS / f"{workflow_name_for(name)}.yml"


def deploy_github_actions(pipeline: Pipeline, params: dict[str, Any],
                          schedule: Schedule | None, repo_dir: str | os.PathLike[str], *,
                          name: str | None = None, replace: bool = False,
                          runner: Runner | None = None, store: Store | None = None
                          ) -> tuple[Path, tuple[str, ...]]:
    """Write ``.github/workflows/<name>.yml`` of ``pipeline`` on ``schedule`` into the checkout
    ``repo_dir``; returns its path and the notes on defaults GitHub honours its own way.

    This is ``sundial deploy github_actions``: it records the pipeline version in the store
    (the jobs read it back through the store secrets) and registers no sundial schedule;
    GitHub owns the schedule once the file is pushed to the default branch.

    :raises UnsupportedScheduleError: the schedule needs what GitHub cannot do.
    :raises AlreadyExistsError: the file holds another schedule (or is not sundial's) and
        ``replace`` is false.
    """
    from sundial.config import Settings
    from sundial.store.store import Store

    root = Path(repo_dir)
    if not (root / ".git").exists():
        raise OrchestratorError(f"--repo-dir {root} is not a git checkout (no .git in it)",
                                "pass the root of the repository's checkout, e.g. "
                                "--repo-dir . from the repository's top folder")
    if schedule is not None:
        GithubActionsOrchestrator.check_schedule(schedule)
    ident = workflow_name_for(name or (schedule.name if schedule is not None and schedule.name
                                       else pipeline.name))
    path = workflow_path(root, ident)
    if path.exists() and not replace and _owner(path) != ident:
        raise AlreadyExistsError(
            f"{path} exists and is not the workflow of schedule {ident!r}",
            "pass --replace to overwrite it, or choose another --name")
    params = pipeline.bind_params((), params)
    store = store or Store(Settings.from_env().database_url)
    steps, version_id, stored = _version(store, pipeline, params)
    text = compile_workflow(WorkflowSpec(
        name=ident, pipeline=pipeline.name, version_id=version_id,
        params=stored, steps=steps, schedule=schedule,
        runner=runner or GithubSettings.from_env().runner))
    write_atomic(path, text)
    notes = () if schedule is None else github_timing(schedule).notes
    return path, notes


def _owner(path: Path) -> str | None:
    """The schedule a sundial workflow file belongs to, from its header; ``None`` when the
    file is not sundial's."""
    lines = path.read_text(errors="replace").splitlines()[:2]
    if len(lines) == 2 and lines[0] == HEADER and lines[1].startswith("# sundial-schedule: "):
        return lines[1].removeprefix("# sundial-schedule: ").strip()
    return None


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` in one step: a reader (git, an editor) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _version(store: Store, pipeline: Pipeline, params: dict[str, Any]
             ) -> tuple[list[Any], int, dict[str, Any]]:
    """Record this version of the pipeline; returns its steps, its id and the parameters as
    stored (JSON values)."""
    from sundial.engine.runner import json_params, record_version

    graph, _pipeline_id, version_id = record_version(store, pipeline, params)
    return graph.spec()["steps"], version_id, json_params(params)
