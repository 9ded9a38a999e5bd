"""The Kubeflow Pipelines backend: runs and recurring runs through ``kfp.Client``.

A run is a KFP run of the compiled spec in an experiment named after the pipeline; a native
schedule is a KFP recurring run (``mapping.py`` says how each field maps). KFP cannot edit a
recurring run, so an update replaces it under the same name, starting after the newest tick
already handled. The schedule's reference is that name, so it survives the replacement.
"""

from __future__ import annotations

import io
import json
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sundial.errors import AlreadyExistsError, NotFoundError, OrchestratorError
from sundial.orchestrators.base import Capability, Orchestrator, RunRequest, RunState, RunStatus
from sundial.orchestrators.kfp_spec.compiler import RUN_ID_PARAM, compile_package, platform_name
from sundial.orchestrators.kubeflow.mapping import KfpTrigger, kfp_problems, kfp_trigger
from sundial.orchestrators.kubeflow.settings import KubeflowSettings
from sundial.orchestrators.native import Deployment, PlatformSchedule, Problem

if TYPE_CHECKING:
    from sundial.definition.schedule import Schedule

__all__ = ["KubeflowOrchestrator"]

N, S = Capability.NATIVE, Capability.SUNDIAL
#: The KFP run's uuid, rendered by KFP in each task: the external id of scheduled runs.
JOB_PLACEHOLDER = "{{$.pipeline_job_uuid}}"
_STATES: dict[str, RunStatus] = {
    "PENDING": "queued", "RUNTIME_STATE_UNSPECIFIED": "queued", "RUNNING": "running",
    "PAUSED": "running", "CANCELING": "running", "SUCCEEDED": "completed",
    "SKIPPED": "completed", "FAILED": "failed", "CANCELED": "cancelled",
}


class KubeflowOrchestrator(Orchestrator):
    """Kubeflow Pipelines 2.x, through its REST API server."""

    name: ClassVar[str] = "kubeflow"
    description: ClassVar[str] = ("Kubeflow Pipelines 2.x: a KFP run per run, a recurring run "
                                  "per schedule, one container per step")
    extra: ClassVar[str | None] = "kubeflow"
    settings_class = KubeflowSettings
    settings: KubeflowSettings
    _kfp: Any = None  # the kfp.Client, made on first use
    capabilities: ClassVar[dict[str, Capability]] = {
        "cron_expression": N,  # six-field robfig cron, written as explicit value lists
        "interval_second": N,  # periodic schedule, started one interval early
        "run_once_start_time": N,  # a cron at that second, bounded to it
        "start_time": N,
        "end_time": N,
        "catchup": N,  # no_catchup: the newest missed cron tick, as in sundial
        "timezone": N,  # UTC, or a zone whose fire times are provably the same
        "overlap=queue": N,  # max_concurrency, with catchup=True
        "overlap=skip": S,  # KFP never drops a tick for being busy
        "overlap=replace": S,  # nor cancels a run to make room
        "overlap=allow": S,  # max_concurrency stops at 10
        "max_active_runs": N,  # max_concurrency, 1-10
        "catchup_window": S,  # catch-up is every tick or the newest
        "jitter": S,  # runs start at their tick
        "max_runs": S,  # KFP counts no runs
    }
    conditions: ClassVar[dict[str, str]] = {
        "cron_expression": "unless both day fields are restricted and one starts with '*'",
        "timezone": "when the zone is UTC or its fire times are provably those of UTC "
                    "(refused otherwise, even when left at its default)",
        "interval_second": "with catchup=True (left at its default: after a pause, one run "
                           "at resume time and the grid restarts from there)",
        "overlap=queue": "with catchup=True (left at its default: a busy schedule runs only "
                         "the newest tick that came meanwhile)",
        "max_active_runs": "up to 10",
    }

    # -- checking ---------------------------------------------------------------------------
    @classmethod
    def problems(cls, schedule: Schedule) -> list[Problem]:
        return kfp_problems(schedule)

    def platform_name(self, name: str) -> str:
        return platform_name(name)

    # -- runs -------------------------------------------------------------------------------
    def submit(self, run: RunRequest) -> str:
        """A KFP run of the version's spec, naming the recorded run; returns its run id."""
        spec, _source = self.store.version_source(run.version_id)
        with self._package(run.pipeline, spec["steps"], run.version_id, run.params,
                           None) as path:
            return self._run(run.pipeline, path, run)

    def run_status(self, ref: str) -> RunState:
        found = self._call(f"read KFP run {ref}", lambda c: c.get_run(ref))
        state = str(found.state or "PENDING")
        status = _STATES.get(state, "running")
        reason = None
        if status in ("failed", "cancelled"):
            error = getattr(found, "error", None)
            message = getattr(error, "message", None) if error is not None else None
            reason = f"KFP run {ref} {state.lower()}" + (f": {message}" if message else "")
        return RunState(status, reason)

    def cancel(self, ref: str) -> None:
        self._call(f"terminate KFP run {ref}", lambda c: c.terminate_run(ref))

    # -- native schedules ---------------------------------------------------------------------
    def create_schedule(self, deployment: Deployment) -> str:
        name = platform_name(deployment.name)
        if self._recurring(name):
            raise AlreadyExistsError(
                f"KFP already has a recurring run named {name!r}",
                "give the schedule another name, or delete the old one first")
        self._create_recurring(name, deployment, kfp_trigger(deployment.schedule))
        return name

    def update_schedule(self, ref: str, deployment: Deployment) -> None:
        old = self._recurring(ref)
        if not old:
            raise NotFoundError(f"KFP has no recurring run named {ref!r}",
                                "re-create the schedule (it was deleted on KFP)")
        handled = self._handled_until(deployment.schedule_id) or min(
            _aware(o.created_at) for o in old)
        # Paused or not is the schedule's state, not its definition: the new one keeps it.
        was_paused = str(old[-1].status) == "DISABLED"
        # The old one stops first (two enabled would both fire), the new one is made, then
        # the old one goes; if the new one cannot be made, the old one runs on as it was.
        for item in old:
            self._call(f"disable KFP recurring run {ref}",
                       lambda c, i=item.recurring_run_id: c.disable_recurring_run(i))
        try:
            self._create_recurring(ref, deployment, kfp_trigger(deployment.schedule, handled),
                                   paused=deployment.paused or was_paused)
        except Exception:
            if not was_paused:
                self._call(f"enable KFP recurring run {ref}",
                           lambda c: c.enable_recurring_run(old[-1].recurring_run_id))
            raise
        for item in old:
            self._call(f"delete KFP recurring run {item.recurring_run_id}",
                       lambda c, i=item.recurring_run_id: c.delete_recurring_run(i))

    def pause_schedule(self, ref: str) -> None:
        for item in self._existing(ref):
            self._call(f"disable KFP recurring run {ref}",
                       lambda c, i=item.recurring_run_id: c.disable_recurring_run(i))

    def resume_schedule(self, ref: str) -> None:
        for item in self._existing(ref):
            self._call(f"enable KFP recurring run {ref}",
                       lambda c, i=item.recurring_run_id: c.enable_recurring_run(i))

    def delete_schedule(self, ref: str) -> None:
        for item in self._recurring(ref):
            self._call(f"delete KFP recurring run {ref}",
                       lambda c, i=item.recurring_run_id: c.delete_recurring_run(i))

    def trigger_schedule(self, ref: str, run: RunRequest) -> str:
        self._existing(ref)
        return self.submit(run)

    def describe_schedule(self, ref: str) -> PlatformSchedule:
        found = self._recurring(ref)
        if not found:
            return PlatformSchedule(ref=ref, exists=False)
        item = found[-1]
        trigger = item.trigger.to_dict() if item.trigger is not None else {}
        return PlatformSchedule(
            ref=ref, exists=True, paused=str(item.status) == "DISABLED",
            details={"recurring_run_id": item.recurring_run_id, "trigger": json.loads(
                json.dumps(trigger, default=str)), "max_concurrency": item.max_concurrency,
                "no_catchup": item.no_catchup, "experiment_id": item.experiment_id})

    # -- helpers ----------------------------------------------------------------------------
    def _client(self) -> Any:
        if self._kfp is None:
            self._kfp = self._connect()
        return self._kfp

    def _connect(self) -> Any:
        import kfp

        token = self.settings.token.get_secret_value() if self.settings.token else None
        try:
            with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore", FutureWarning)  # "works with KFP >= 2.0"
                client = kfp.Client(host=self.settings.host, existing_token=token,
                                    namespace=self.settings.namespace or "kubeflow")
        except Exception as err:  # kfp asks healthz when it starts, and says why it failed
            raise self._unreachable(err) from None
        return client

    def _unreachable(self, err: Exception) -> OrchestratorError:
        return OrchestratorError(
            f"Kubeflow Pipelines at {self.settings.host} did not answer: "
            f"{type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}",
            "check SUNDIAL_KUBEFLOW_HOST (the KFP API server's URL; e.g. `kubectl "
            "port-forward -n kubeflow svc/ml-pipeline-ui 8888:80`) and the token")

    def _call(self, what: str, action: Any) -> Any:
        """Run ``action(client)``; a refusal or an unreachable server becomes an error that
        names the call and the server."""
        from kfp_server_api.exceptions import ApiException

        client = self._client()
        try:
            # kfp prints "Run details: <url>" lines; they stay (silencing stdout is global,
            # and would swallow other threads' output in the scheduler).
            return action(client)
        except ApiException as err:
            body = (err.body or "")[:300] if isinstance(err.body, str) else ""
            raise OrchestratorError(
                f"Kubeflow Pipelines at {self.settings.host} refused to {what}: "
                f"{err.status} {err.reason} {body}".strip(),
                "read the message above; check SUNDIAL_KUBEFLOW_NAMESPACE for a "
                "multi-user KFP") from None
        except (OSError, ValueError) as err:
            raise self._unreachable(err) from None
        except Exception as err:  # urllib3's connection errors are not OSErrors
            if type(err).__module__.startswith("urllib3"):
                raise self._unreachable(err) from None
            raise

    @contextmanager
    def _package(self, pipeline: str, steps: Any, version_id: int, params: Any,
                 schedule_id: str | None) -> Iterator[Path]:
        from sundial.config import Settings

        compiled = self.settings.pipeline(
            backend=self.name, name=pipeline, description=f"sundial pipeline {pipeline}",
            steps=steps, version_id=version_id, params=params, job_placeholder=JOB_PLACEHOLDER,
            store_url=self.store.url, artifact_uri=Settings.from_env().artifact_uri,
            schedule_id=schedule_id)
        with tempfile.TemporaryDirectory(prefix="sundial-kfp-") as tmp:
            path = Path(tmp) / "pipeline.yaml"
            compile_package(compiled, path)
            yield path

    def _experiment(self, pipeline: str) -> str:
        name = self.settings.experiment or platform_name(pipeline)
        found = self._call(f"create the experiment {name!r}", lambda c: c.create_experiment(
            name, namespace=self.settings.namespace))
        return str(found.experiment_id)

    def _run(self, pipeline: str, path: Path, run: RunRequest) -> str:
        experiment = self._experiment(pipeline)
        made = self._call("create a run", lambda c: c.run_pipeline(
            experiment_id=experiment, job_name=f"{platform_name(pipeline)}-{run.run_id[:8]}",
            pipeline_package_path=str(path), params={RUN_ID_PARAM: run.run_id},
            enable_caching=False))
        return str(made.run_id)

    def _create_recurring(self, name: str, deployment: Deployment, trigger: KfpTrigger,
                          paused: bool | None = None) -> None:
        experiment = self._experiment(deployment.pipeline)
        with self._package(deployment.pipeline, deployment.spec["steps"],
                           deployment.version_id, deployment.params,
                           deployment.schedule_id) as path:
            self._call(f"create the recurring run {name!r}", lambda c: c.create_recurring_run(
                experiment_id=experiment, job_name=name,
                description=f"sundial schedule {deployment.name}",
                start_time=_rfc3339(trigger.start_time), end_time=_rfc3339(trigger.end_time),
                interval_second=trigger.interval_second, cron_expression=trigger.cron,
                max_concurrency=trigger.max_concurrency, no_catchup=trigger.no_catchup,
                pipeline_package_path=str(path),
                enabled=not (deployment.paused if paused is None else paused),
                enable_caching=False))

    def _recurring(self, name: str) -> list[Any]:
        """The recurring runs named ``name``, oldest first (two only mid-update)."""
        query = json.dumps({"predicates": [
            {"key": "display_name", "operation": "EQUALS", "string_value": name}]})
        found = self._call(f"list recurring runs named {name!r}", lambda c: c.list_recurring_runs(
            page_size=100, namespace=self.settings.namespace, filter=query))
        items = [i for i in (found.recurring_runs or []) if i.display_name == name]
        return sorted(items, key=lambda i: _aware(i.created_at))

    def _existing(self, name: str) -> list[Any]:
        found = self._recurring(name)
        if not found:
            raise NotFoundError(f"KFP has no recurring run named {name!r}",
                                "list them in the KFP UI, or re-create the schedule")
        return found

    def _handled_until(self, schedule_id: str) -> datetime | None:
        from sundial.store.schedule_store import ScheduleStore

        ticks = [r.nominal_at for r in ScheduleStore(self.store).runs_of(schedule_id, 50)
                 if r.nominal_at is not None and r.trigger != "manual"]
        return max((_aware(t) for t in ticks), default=None)


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _rfc3339(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
