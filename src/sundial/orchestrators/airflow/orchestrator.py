"""The Airflow backend: a schedule becomes a DAG file that Airflow's own scheduler fires.

The DAG file is the desired state (schedule, paused or not); Airflow's CLI applies changes
to a DAG that Airflow already knows at once. Which Schedule features Airflow honours is in
``capabilities`` and, for combinations, ``mapping.disagreements``; docs/orchestrators/airflow.md
explains each.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sundial.errors import AlreadyExistsError, NotFoundError, OrchestratorError
from sundial.orchestrators.airflow.client import AirflowCLI
from sundial.orchestrators.airflow.compiler import (
    DagSpec,
    StepCommand,
    compile_dag,
    dag_id_for,
)
from sundial.orchestrators.airflow.mapping import disagreements
from sundial.orchestrators.airflow.settings import AirflowSettings, store_env
from sundial.orchestrators.base import Capability, Orchestrator, RunRequest, RunState, RunStatus
from sundial.orchestrators.native import Deployment, PlatformSchedule, Problem

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline
    from sundial.definition.schedule import Schedule
    from sundial.store.store import Store

__all__ = ["AirflowOrchestrator", "deploy_airflow"]

N, S = Capability.NATIVE, Capability.SUNDIAL
_PAUSED_LINE = re.compile(r"^    is_paused_upon_creation=(True|False),$", re.MULTILINE)
_CREATED_AT = re.compile(r"'created_at': '([^']+)'")
#: Airflow's DAG run states → sundial's run statuses.
_STATES: dict[str, RunStatus] = {"queued": "queued", "running": "running",
                                 "success": "completed", "failed": "failed"}


class AirflowOrchestrator(Orchestrator):
    """Apache Airflow 2.10 and 3.x, through DAG files and the ``airflow`` command."""

    name: ClassVar[str] = "airflow"
    description: ClassVar[str] = ("Apache Airflow 2.10 / 3.x: the schedule becomes a DAG file, "
                                  "one task per step")
    # No pip extra: Airflow runs in its own environment (it pins its own SQLAlchemy), and
    # sundial reaches it through its command line and DAG files only.
    extra: ClassVar[str | None] = None
    settings_class = AirflowSettings
    settings: AirflowSettings
    capabilities: ClassVar[dict[str, Capability]] = {
        "cron_expression": N,  # CronTriggerTimetable (DST and day-field caveats refused)
        "interval_second": N,  # DeltaDataIntervalTimetable, start shifted one interval back
        "run_once_start_time": N,  # "@once" with start_date at that instant
        "start_time": N,  # start_date (inclusive in every timetable used)
        "end_time": N,  # end_date (inclusive)
        "catchup": N,  # catchup: False runs the newest missed tick, as in sundial
        "timezone": N,  # CronTriggerTimetable(timezone=...)
        "overlap=queue": N,  # max_active_runs; with catchup=True only (see mapping)
        "overlap=skip": S,  # Airflow never drops a tick for being busy
        "overlap=replace": S,  # nor cancels a run to make room
        "overlap=allow": N,  # max_active_runs set beyond reach
        "max_active_runs": N,
        "catchup_window": S,  # catch-up is all or the newest only
        "jitter": S,  # runs start at their tick
        "max_runs": S,  # Airflow counts no runs; only end_date ends a DAG
    }
    conditions: ClassVar[dict[str, str]] = {
        "overlap=queue": "when catchup=True (overlap left at its default: a busy schedule "
                         "runs only the newest tick that came meanwhile)",
        "interval_second": "when start_time is on the 1970-01-01T00:00Z grid or catchup=True "
                           "(catchup left at its default: after a pause the grid counts from "
                           "1970-01-01T00:00Z)",
        "cron_expression": "when no fire time falls inside a DST change of the zone (zone "
                           "left at its default: Airflow's croniter rule there) and no "
                           "'*'-led day field meets a restricted other day field",
    }
    unsupported_operations: ClassVar[dict[str, str]] = {}

    # -- checking ---------------------------------------------------------------------------
    @classmethod
    def problems(cls, schedule: Schedule) -> list[Problem]:
        return disagreements(schedule, datetime.now(UTC))

    def platform_name(self, name: str) -> str:
        return dag_id_for(name)

    # -- runs -------------------------------------------------------------------------------
    def submit(self, run: RunRequest) -> str:
        """Trigger the on-demand DAG of the run's pipeline version (written on first use)
        with the run's id in its conf; returns ``airflow:DAG_ID:RUN_ID``."""
        dag_id = dag_id_for(f"{run.pipeline}__v{run.version_id}")
        path = self._path(dag_id)
        if not path.exists():
            spec, _source = self.store.version_source(run.version_id)
            _write(path, compile_dag(DagSpec(
                dag_id=dag_id, pipeline=run.pipeline, version_id=run.version_id,
                params={}, steps=spec["steps"], schedule=None,
                created_at=datetime.now(UTC), command=self._command())))
        return self._trigger(dag_id, run)

    def run_status(self, ref: str) -> RunState:
        dag_id, run_id = _split_ref(ref)
        for found in self._cli().list_runs(dag_id):
            if found.get("run_id") == run_id:
                state = str(found.get("state") or "queued")
                status = _STATES.get(state, "running")
                return RunState(status, None if status != "failed"
                                else f"Airflow marked DAG run {dag_id}/{run_id} failed")
        return RunState("queued")

    def _trigger(self, dag_id: str, run: RunRequest) -> str:
        run_id = f"sundial__{run.run_id}"
        conf = json.dumps({"sundial_run_id": run.run_id})
        logical = run.nominal_at if run.trigger == "backfill" else None
        self._trigger_when_known(dag_id, run_id, conf, logical)
        return f"airflow:{dag_id}:{run_id}"

    def _trigger_when_known(self, dag_id: str, run_id: str, conf: str,
                            logical: datetime | None) -> None:
        cli = self._cli()
        wait = self.settings.parse_timeout
        deadline = time.monotonic() + wait
        while True:
            try:
                cli.trigger(dag_id, run_id, conf=conf, logical_date=logical)
                return
            except OrchestratorError as err:
                if "not found" not in err.headline.lower():
                    raise
                if time.monotonic() > deadline:
                    raise OrchestratorError(
                        f"Airflow has not loaded the DAG {dag_id!r} from "
                        f"{self._path(dag_id)} within {wait:g}s",
                        "check `airflow dags list-import-errors`, make Airflow scan sooner "
                        "([scheduler] dag_dir_list_interval), or raise the setting "
                        "parse_timeout (SUNDIAL_AIRFLOW_PARSE_TIMEOUT)") from None
            # Airflow 3 parses a bundle on request; Airflow 2.10's reserialize would drop
            # every other serialized DAG first, so there sundial waits for the next scan.
            if cli.major >= 3:
                cli.reserialize()
            else:
                time.sleep(5)

    # -- native schedules -------------------------------------------------------------------
    def create_schedule(self, deployment: Deployment) -> str:
        dag_id = self.platform_name(deployment.name)
        path = self._path(dag_id)
        if path.exists() and not deployment.replace:
            raise AlreadyExistsError(
                f"Airflow DAG file {path} exists already (another deployment)",
                "give the schedule another name, or delete the old schedule first",
                cli_fix="pass another --name, or --replace to overwrite it")
        _write(path, self._compile(dag_id, deployment, datetime.now(UTC)))
        return dag_id

    def update_schedule(self, ref: str, deployment: Deployment) -> None:
        path = self._existing(ref)
        # Keep the first deployment's instant: a cron schedule without start_time counts its
        # ticks from there, so an update neither re-runs nor drops one already handled.
        found = _CREATED_AT.search(path.read_text())
        created = datetime.fromisoformat(found.group(1)) if found else datetime.now(UTC)
        _write(path, self._compile(ref, deployment, created))

    def pause_schedule(self, ref: str) -> None:
        self._set_paused(ref, True)
        self._cli().pause(ref)

    def resume_schedule(self, ref: str) -> None:
        self._set_paused(ref, False)
        self._cli().unpause(ref)

    def delete_schedule(self, ref: str) -> None:
        # The file goes first: Airflow would bring the DAG back from it at the next scan.
        self._path(ref).unlink(missing_ok=True)
        self._cli().delete(ref)

    def trigger_schedule(self, ref: str, run: RunRequest) -> str:
        self._existing(ref)
        return self._trigger(ref, run)

    def describe_schedule(self, ref: str) -> PlatformSchedule:
        details = self._cli().details(ref)
        if details is None:
            return PlatformSchedule(ref=ref, exists=False)
        nxt = details.get("next_dagrun_create_after") or details.get("next_dagrun_run_after")
        return PlatformSchedule(
            # The CLI's JSON gives every value as text ("False", "1").
            ref=ref, exists=True, paused=str(details.get("is_paused")).lower() == "true",
            next_run_at=datetime.fromisoformat(str(nxt)) if nxt and nxt != "None" else None,
            details={k: details.get(k) for k in ("fileloc", "timetable_summary",
                                                 "timetable_description", "max_active_runs")
                     if k in details})

    # -- helpers ----------------------------------------------------------------------------
    def _cli(self) -> AirflowCLI:
        return AirflowCLI(self.settings.executable)

    def _command(self) -> StepCommand:
        from sundial.config import Settings

        base = Settings.from_env()
        return self.settings.command(Settings(home=base.home, database_url=self.store.url,
                                              artifact_uri=base.artifact_uri))

    def _path(self, dag_id: str) -> Path:
        return self.settings.folder / f"{dag_id}.py"

    def _existing(self, ref: str) -> Path:
        path = self._path(ref)
        if not path.exists():
            raise NotFoundError(
                f"no Airflow DAG file {path} for schedule {ref!r}",
                "set the airflow setting dags_folder (SUNDIAL_AIRFLOW_DAGS_FOLDER) to the "
                "folder it was deployed to")
        return path

    def _set_paused(self, ref: str, paused: bool) -> None:
        # The file says how the DAG starts when Airflow first parses it; the CLI pauses a DAG
        # that Airflow knows already. Both, so neither order of events loses the pause.
        path = self._existing(ref)
        text = _PAUSED_LINE.sub(f"    is_paused_upon_creation={paused},", path.read_text())
        _write(path, text)

    def _compile(self, dag_id: str, deployment: Deployment, created_at: datetime) -> str:
        return compile_dag(DagSpec(
            dag_id=dag_id, pipeline=deployment.pipeline, version_id=deployment.version_id,
            params=dict(deployment.params), steps=deployment.spec["steps"],
            schedule=deployment.schedule, created_at=created_at, paused=deployment.paused,
            command=self._command(), schedule_id=deployment.schedule_id))


def _split_ref(ref: str) -> tuple[str, str]:
    """``airflow:DAG_ID:RUN_ID`` → (dag id, run id)."""
    kind, _, rest = ref.partition(":")
    dag_id, _, run_id = rest.partition(":")
    if kind != "airflow" or not dag_id or not run_id:
        raise NotFoundError(f"{ref!r} is not an Airflow run reference",
                            "pass airflow:DAG_ID:RUN_ID, as submit returned it")
    return dag_id, run_id


def deploy_airflow(pipeline: Pipeline, params: dict[str, Any], schedule: Schedule | None,
                   dags_folder: str | os.PathLike[str], *,
                   command: str | Sequence[str] | None = None, image: str | None = None,
                   namespace: str = "default", dag_id: str | None = None,
                   paused: bool = False, store: Store | None = None) -> Path:
    """Write the Airflow DAG file of ``pipeline`` with ``params`` on ``schedule``; returns
    its path. Overwrites an earlier deployment of the same DAG id (keeping its start).

    This is ``sundial deploy airflow``: it records the pipeline version in the store (the
    tasks read it back) but registers no sundial schedule; Airflow owns the schedule, and
    ``airflow dags pause/unpause/delete`` manage it. ``schedule=None`` makes a DAG that runs
    only when triggered.

    :param command: how tasks start sundial (default: the ``sundial`` next to this Python).
    :param image: run steps as pods of this image (``KubernetesPodOperator``) instead.
    :raises UnsupportedScheduleError: the schedule needs what Airflow cannot express.
    """
    from sundial.config import Settings
    from sundial.store.store import Store

    if schedule is not None:
        AirflowOrchestrator.check_schedule(schedule)
    params = pipeline.bind_params((), params)
    settings = Settings.from_env()
    store = store or Store(settings.database_url)
    spec, version_id = _version(store, pipeline, params)
    argv = ((command,) if isinstance(command, str) else tuple(command)) if command else (
        ("sundial",) if image else AirflowSettings.load("airflow").step_argv)
    env = store_env(Settings(home=settings.home, database_url=store.url,
                             artifact_uri=settings.artifact_uri))
    name = dag_id or (schedule.name if schedule is not None and schedule.name else pipeline.name)
    ident = dag_id_for(name)
    path = Path(dags_folder) / f"{ident}.py"
    found = _CREATED_AT.search(path.read_text()) if path.exists() else None
    created = datetime.fromisoformat(found.group(1)) if found else datetime.now(UTC)
    _write(path, compile_dag(DagSpec(
        dag_id=ident, pipeline=pipeline.name, version_id=version_id,
        params=_json_params(params), steps=spec["steps"], schedule=schedule,
        created_at=created, paused=paused,
        command=StepCommand(argv=argv, image=image, namespace=namespace, env=env))))
    return path


def _version(store: Store, pipeline: Pipeline, params: dict[str, Any]) -> tuple[
        dict[str, Any], int]:
    from sundial.engine.runner import record_version

    graph, _pipeline_id, version_id = record_version(store, pipeline, params)
    return graph.spec(), version_id


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    from sundial.engine.runner import json_params

    return json_params(params)


def _write(path: Path, text: str) -> None:
    """Replace ``path`` atomically: Airflow may parse the folder at any moment, and a
    half-written DAG file would show up as an import error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
