"""The GitHub Actions backend: a schedule becomes a workflow file that GitHub's scheduler fires.

The workflow file goes into a local checkout (setting ``repo_dir``: deploy writes it, you commit
and push) and, when a token and repository are set, is committed through GitHub's contents
API. The lifecycle goes through the REST API: pause and resume disable and enable the
workflow, trigger and backfill dispatch it with the recorded run's id and nominal time, delete
removes the file in a commit. Which Schedule features GitHub honours is ``capabilities`` and
``defaults``; the combinations are ``mapping.problems``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sundial.errors import AlreadyExistsError, NotFoundError, OrchestratorError
from sundial.orchestrators.base import Capability, Orchestrator, RunRequest, RunState, RunStatus
from sundial.orchestrators.github_actions.mapping import problems
from sundial.orchestrators.github_actions.settings import GithubActionsSettings
from sundial.orchestrators.github_actions.workflow import (
    HEADER,
    WorkflowSpec,
    compile_workflow,
    workflow_name_for,
)
from sundial.orchestrators.native import Deployment, PlatformSchedule, Problem
from sundial.store.schedule_store import ScheduleStore

if TYPE_CHECKING:
    from sundial.definition.schedule import Schedule

__all__ = ["GithubActionsOrchestrator", "write_atomic"]

N, S = Capability.NATIVE, Capability.SUNDIAL
WORKFLOWS = Path(".github") / "workflows"
#: GitHub's run conclusions → sundial's run statuses.
_FINISHED: dict[str, RunStatus] = {
    "success": "completed", "failure": "failed", "cancelled": "cancelled",
    "timed_out": "failed", "startup_failure": "failed", "skipped": "completed",
    "neutral": "completed", "stale": "failed", "action_required": "failed"}
_WAITING = {"queued", "waiting", "pending", "requested"}


class GithubActionsOrchestrator(Orchestrator):
    """GitHub Actions, through workflow files and GitHub's REST API."""

    name: ClassVar[str] = "github_actions"
    description: ClassVar[str] = ("GitHub Actions: the schedule becomes a workflow file, one "
                                  "job per step")
    extra: ClassVar[str | None] = "github_actions"
    settings_class = GithubActionsSettings
    settings: GithubActionsSettings
    capabilities: ClassVar[dict[str, Capability]] = {
        "cron_expression": N,  # on.schedule (5-minute floor, DST caveats refused)
        "interval_second": N,  # as UTC cron entries when exact (see mapping.interval_crons)
        "run_once_start_time": S,  # a schedule has no one-off date
        "start_time": N,  # the tick guard skips earlier ticks
        "end_time": N,  # the tick guard skips later ticks
        "catchup": S,  # GitHub never runs a missed tick (see defaults)
        "timezone": N,  # on.schedule[].timezone (IANA)
        "overlap=queue": S,  # one pending slot (see defaults)
        "overlap=skip": S,  # a concurrency group drops the waiting run, not the new one
        "overlap=replace": N,  # concurrency with cancel-in-progress: true
        "overlap=allow": N,  # no concurrency group
        "max_active_runs": N,  # 1 (one concurrency group), any number with allow
        "catchup_window": S,
        "jitter": S,
        "max_runs": S,  # GitHub counts no runs
    }
    defaults: ClassVar[dict[str, str]] = {
        "catchup": "GitHub runs no tick it missed while the workflow was disabled, not even "
                   "the newest",
        "overlap=queue": "GitHub keeps one tick waiting behind the running run (concurrency, "
                         "cancel-in-progress: false); a newer tick replaces the waiting one",
    }
    conditions: ClassVar[dict[str, str]] = {
        "cron_expression": "when it fires at most every 5 minutes and, in a zone with DST, "
                           "no fire time falls on a repeated hour or on a skipped one where "
                           "GitHub's rule (advance to the next valid time) differs",
        "timezone": "under cron_expression's DST condition",
        "interval_second": "when it is a whole number of minutes dividing an hour, of hours "
                           "dividing a day, or a day or a week, from a whole minute",
        "max_active_runs": "when it is 1, or with overlap=allow",
        "overlap=replace": "with max_active_runs=1",
    }
    unsupported_operations: ClassVar[dict[str, str]] = {}

    # -- checking -----------------------------------------------------------------------------
    @classmethod
    def problems(cls, schedule: Schedule) -> list[Problem]:
        return problems(schedule, datetime.now(UTC))

    def platform_name(self, name: str) -> str:
        return workflow_name_for(name)

    # -- runs ---------------------------------------------------------------------------------
    def submit(self, run: RunRequest) -> str:
        """Dispatch the version's run-only workflow (committed on first use) for the recorded
        run; returns ``<workflow file>#<GitHub run id>`` (``#sundial:<run id>`` when GitHub
        does not return the id: the run is then found by its title)."""
        api = self.settings.api()
        ident = workflow_name_for(f"sundial-run-{run.pipeline}-v{run.version_id}")
        path = (WORKFLOWS / f"{ident}.yml").as_posix()
        if api.file_sha(path, self.settings.branch) is None:
            spec, _source = self.store.version_source(run.version_id)
            api.put_file(path, self.settings.branch, compile_workflow(WorkflowSpec(
                name=ident, pipeline=run.pipeline, version_id=run.version_id,
                params=run.params, steps=spec["steps"], schedule=None,
                runner=self.settings.runner)), f"sundial: run workflow for {run.pipeline}")
        return self._dispatch(ident, run)

    def run_status(self, ref: str) -> RunState:
        file, _, run = ref.partition("#")
        if run.startswith("sundial:"):
            # GitHub did not return the run's id on dispatch: find the run by its title.
            titled = [r for r in self.settings.api().runs(file, per_page=50)
                      if r.get("display_title") == run.removeprefix("sundial:")]
            if not titled:
                return RunState("queued")
            run = str(titled[0]["id"])
        answer = self.settings.api().run(int(run))
        status = str(answer.get("status"))
        if status != "completed":
            return RunState("queued" if status in _WAITING else "running")
        conclusion = str(answer.get("conclusion"))
        found = _FINISHED.get(conclusion, "failed")
        state = RunState(found, None if found == "completed"
                         else f"GitHub Actions: workflow run {run} concluded {conclusion}")
        if found != "completed":  # the jobs GitHub skipped after a failure: recorded skipped
            ScheduleStore(self.store).finish_remote_run_of(ref, found, state.reason,
                                                           datetime.now(UTC))
        return state

    def cancel(self, ref: str) -> None:
        _file, _, run = ref.partition("#")
        if run.isdigit():
            self.settings.api().cancel(int(run))

    def _dispatch(self, ident: str, run: RunRequest) -> str:
        nominal = (run.nominal_at or datetime.now(UTC)).astimezone(UTC).isoformat()
        found = self.settings.api().dispatch(f"{ident}.yml", self.settings.branch,
                                             {"nominal": nominal, "run_id": run.run_id})
        return f"{ident}.yml#{found if found is not None else 'sundial:' + run.run_id}"

    # -- native schedules ---------------------------------------------------------------------
    def create_schedule(self, deployment: Deployment) -> str:
        return self._install(deployment, create=True)

    def update_schedule(self, ref: str, deployment: Deployment) -> None:
        self._install(deployment, create=False, ident=ref)

    def pause_schedule(self, ref: str) -> None:
        self.settings.api().disable(f"{ref}.yml")

    def resume_schedule(self, ref: str) -> None:
        self.settings.api().enable(f"{ref}.yml")

    def delete_schedule(self, ref: str) -> None:
        path = (WORKFLOWS / f"{ref}.yml").as_posix()
        if self.settings.has_api:
            self.settings.api().delete_file(path, self.settings.branch,
                                            f"sundial: delete schedule {ref}")
        if self.settings.repo_dir is not None:
            (self.settings.repo_dir / path).unlink(missing_ok=True)

    def trigger_schedule(self, ref: str, run: RunRequest) -> str:
        return self._dispatch(ref, run)

    def describe_schedule(self, ref: str) -> PlatformSchedule:
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

    def _install(self, deployment: Deployment, *, create: bool, ident: str | None = None
                 ) -> str:
        ident = ident or self.platform_name(deployment.name)
        settings = self.settings
        if not settings.has_api and settings.repo_dir is None:
            raise OrchestratorError(
                "the github_actions backend has nowhere to put the workflow",
                "set repo_dir (a checkout to write it into) or repository and token (to "
                "commit it through GitHub's API)",
                cli_fix="pass --repo-dir DIR (a checkout), or --repository owner/name with "
                        "SUNDIAL_GITHUB_ACTIONS_TOKEN set")
        if deployment.paused and not settings.has_api:
            raise OrchestratorError(
                "a paused GitHub workflow needs the API: GitHub enables a new workflow when "
                "it is pushed", "set repository and token, or deploy it unpaused")
        text = compile_workflow(WorkflowSpec(
            name=ident, pipeline=deployment.pipeline, version_id=deployment.version_id,
            params=deployment.params, steps=deployment.spec["steps"],
            schedule=deployment.schedule, runner=settings.runner,
            schedule_id=deployment.schedule_id))
        local = None
        if settings.repo_dir is not None:
            local = checkout_path(settings.repo_dir, ident)
            owner = _owner(local) if local.exists() else ident
            if owner != ident and not settings.replace:
                raise AlreadyExistsError(
                    f"{local} exists and is not the workflow of schedule {ident!r}",
                    "set the replace setting to overwrite it, or choose another name",
                    cli_fix="pass --replace to overwrite it, or choose another name")
        if settings.has_api:
            api = settings.api()
            path = (WORKFLOWS / f"{ident}.yml").as_posix()
            if create and api.file_sha(path, settings.branch) is not None:
                raise AlreadyExistsError(
                    f"workflow {path} exists already on {settings.repository}@"
                    f"{settings.branch}", "give the schedule another name, or update it")
            api.put_file(path, settings.branch, text, f"sundial: schedule {ident}")
            if deployment.paused:
                api.disable(f"{ident}.yml")
        if local is not None:
            write_atomic(local, text)
        return ident


def checkout_path(repo_dir: str | os.PathLike[str], ident: str) -> Path:
    """Where workflow ``ident`` goes in the checkout ``repo_dir`` (which must be one)."""
    root = Path(repo_dir).expanduser()
    if not (root / ".git").exists():
        raise OrchestratorError(f"repo_dir {root} is not a git checkout (no .git in it)",
                                "set repo_dir to the root of the repository's checkout",
                                cli_fix="pass --repo-dir with the root of the repository's "
                                        "checkout, e.g. --repo-dir .")
    return root / WORKFLOWS / f"{ident}.yml"


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


