"""The Vertex AI Pipelines backend: pipeline jobs and schedules through google-cloud-aiplatform.

It uses the package's generated ``aiplatform_v1`` clients rather than the ``PipelineJob`` /
``PipelineJobSchedule`` wrappers, for two reasons seen in aiplatform 2.7: the wrapper's
``resume(catch_up=...)`` drops ``catch_up`` from the request (so missed ticks could never be
caught up), and ``PipelineJob.submit`` first gets or creates a Cloud Storage bucket and checks
its owner through Resource Manager — calls a run does not need, to services outside the
configured endpoint. ``mapping.py`` says how each Schedule field maps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sundial.errors import ConfigError, NotFoundError, OrchestratorError
from sundial.orchestrators.base import Capability, Orchestrator, RunRequest, RunState, RunStatus
from sundial.orchestrators.kfp_spec.compiler import RUN_ID_PARAM, compile_package, platform_name
from sundial.orchestrators.native import Deployment, PlatformSchedule, Problem
from sundial.orchestrators.vertex.mapping import VertexTiming, vertex_problems, vertex_timing
from sundial.orchestrators.vertex.settings import VertexSettings

if TYPE_CHECKING:
    from sundial.definition.schedule import Schedule

__all__ = ["VertexOrchestrator"]

N, S = Capability.NATIVE, Capability.SUNDIAL
#: The pipeline job's resource name, rendered by Vertex in each task: the external id of the
#: runs its scheduler makes (the same reference ``submit`` returns).
JOB_PLACEHOLDER = "{{$.pipeline_job_resource_name}}"
_STATES: dict[str, RunStatus] = {
    "PIPELINE_STATE_UNSPECIFIED": "queued", "PIPELINE_STATE_QUEUED": "queued",
    "PIPELINE_STATE_PENDING": "queued", "PIPELINE_STATE_RUNNING": "running",
    "PIPELINE_STATE_CANCELLING": "running", "PIPELINE_STATE_PAUSED": "running",
    "PIPELINE_STATE_SUCCEEDED": "completed", "PIPELINE_STATE_FAILED": "failed",
    "PIPELINE_STATE_CANCELLED": "cancelled",
}
#: The Schedule fields an update sends (their proto names).
_UPDATE_MASK = ["display_name", "cron", "start_time", "end_time", "max_run_count",
                "max_concurrent_run_count", "max_concurrent_active_run_count",
                "allow_queueing", "create_pipeline_job_request"]


class VertexOrchestrator(Orchestrator):
    """Vertex AI Pipelines, through its REST API."""

    name: ClassVar[str] = "vertex"
    description: ClassVar[str] = ("Vertex AI Pipelines: a pipeline job per run, a Vertex "
                                  "schedule (cron) per schedule, one container per step")
    extra: ClassVar[str | None] = "vertex"
    settings_class = VertexSettings
    settings: VertexSettings
    _apis: Any = None  # (pipeline client, schedule client), made on first use
    capabilities: ClassVar[dict[str, Capability]] = {
        "cron_expression": N,  # unix-cron as explicit value lists, TZ= prefix
        "interval_second": N,  # as a UTC cron, when one fires at exactly those instants
        "run_once_start_time": N,  # a UTC cron bounded to that minute, max_run_count=1
        "start_time": N,
        "end_time": N,
        "catchup": N,  # catch_up on resume; True only (see conditions)
        "timezone": N,  # TZ= prefix
        "overlap=queue": N,  # allow_queueing=true
        "overlap=skip": N,  # allow_queueing=false
        "overlap=replace": S,  # Vertex never cancels a run to make room
        "overlap=allow": S,  # there is always a concurrency cap
        "max_active_runs": N,  # max_concurrent_(active_)run_count
        "catchup_window": S,  # catch-up is every missed tick or none
        "jitter": S,  # runs start at their tick
        "max_runs": N,  # max_run_count
    }
    conditions: ClassVar[dict[str, str]] = {
        "cron_expression": "unless both day fields are restricted and one starts with '*'",
        "timezone": "unless the cron fires inside a DST change of the zone (left at its "
                    "default: Vertex's own rule there)",
        "interval_second": "when a UTC cron fires at exactly start_time + k·interval",
        "run_once_start_time": "on a whole minute",
        "catchup": "when catchup=True and no tick lies between a past start_time and now "
                   "(catchup left at its default: ticks missed while paused do not run at "
                   "all)",
    }

    # -- checking ---------------------------------------------------------------------------
    @classmethod
    def problems(cls, schedule: Schedule) -> list[Problem]:
        return vertex_problems(schedule)

    def platform_name(self, name: str) -> str:
        return platform_name(name)

    # -- runs -------------------------------------------------------------------------------
    def submit(self, run: RunRequest) -> str:
        """A pipeline job of the version's spec, naming the recorded run; returns its
        resource name. Its id derives from the run's, so a retried submit finds it."""
        spec, _source = self.store.version_source(run.version_id)
        job = self._job(run.pipeline, spec["steps"], run.version_id, run.params, None)
        return self._start(job, run)

    def run_status(self, ref: str) -> RunState:
        job = self._call(f"read pipeline job {ref}", lambda p, s: p.get_pipeline_job(
            name=ref, timeout=self.settings.timeout))
        state = job.state.name
        status = _STATES.get(state, "running")
        reason = None
        if status in ("failed", "cancelled"):
            message = job.error.message if job.error else ""
            reason = f"Vertex pipeline job {ref} {state.split('_')[-1].lower()}" + (
                f": {message}" if message else "")
        return RunState(status, reason)

    def cancel(self, ref: str) -> None:
        self._call(f"cancel pipeline job {ref}", lambda p, s: p.cancel_pipeline_job(
            name=ref, timeout=self.settings.timeout))

    # -- native schedules ---------------------------------------------------------------------
    def create_schedule(self, deployment: Deployment) -> str:
        from google.cloud.aiplatform_v1 import types

        timing = vertex_timing(deployment.schedule)
        job = self._job(deployment.pipeline, deployment.spec["steps"], deployment.version_id,
                        deployment.params, deployment.schedule_id)
        schedule = self._schedule(types, deployment, timing, job)
        made = self._call("create a schedule", lambda p, s: s.create_schedule(
            parent=self._parent(), schedule=schedule, timeout=self.settings.timeout))
        ref = str(made.name)
        if deployment.paused:
            try:
                self.pause_schedule(ref)
            except OrchestratorError:
                self.delete_schedule(ref)  # nothing half-created
                raise
        return ref

    def update_schedule(self, ref: str, deployment: Deployment) -> None:
        from google.cloud.aiplatform_v1 import types
        from google.protobuf import field_mask_pb2

        self._get(ref)
        timing = vertex_timing(deployment.schedule)
        job = self._job(deployment.pipeline, deployment.spec["steps"], deployment.version_id,
                        deployment.params, deployment.schedule_id)
        schedule = self._schedule(types, deployment, timing, job)
        schedule.name = ref
        # Every field is in the mask, so a bound or a limit the update drops is cleared.
        # Vertex keeps its own record of the ticks it fired: an update re-runs none.
        mask = field_mask_pb2.FieldMask(paths=_UPDATE_MASK)
        self._call(f"update schedule {ref}", lambda p, s: s.update_schedule(
            schedule=schedule, update_mask=mask, timeout=self.settings.timeout))

    def pause_schedule(self, ref: str) -> None:
        if self._get(ref).state.name != "PAUSED":
            self._call(f"pause schedule {ref}", lambda p, s: s.pause_schedule(
                name=ref, timeout=self.settings.timeout))

    def resume_schedule(self, ref: str) -> None:
        if self._get(ref).state.name != "PAUSED":
            return
        catch_up = self._catchup(ref)
        self._call(f"resume schedule {ref}", lambda p, s: s.resume_schedule(
            name=ref, catch_up=catch_up, timeout=self.settings.timeout))

    def delete_schedule(self, ref: str) -> None:
        from google.api_core import exceptions

        try:
            self._call(f"delete schedule {ref}", lambda p, s: s.delete_schedule(
                name=ref, timeout=self.settings.timeout).result(self.settings.timeout),
                passthrough=(exceptions.NotFound,))
        except exceptions.NotFound:
            return  # gone already

    def trigger_schedule(self, ref: str, run: RunRequest) -> str:
        template = self._get(ref).create_pipeline_job_request.pipeline_job
        return self._start(template, run)

    def describe_schedule(self, ref: str) -> PlatformSchedule:
        from google.api_core import exceptions

        try:
            found = self._call(f"read schedule {ref}", lambda p, s: s.get_schedule(
                name=ref, timeout=self.settings.timeout), passthrough=(exceptions.NotFound,))
        except exceptions.NotFound:
            return PlatformSchedule(ref=ref, exists=False)
        nxt = found.next_run_time
        return PlatformSchedule(
            ref=ref, exists=True, paused=found.state.name == "PAUSED",
            next_run_at=nxt if nxt else None,
            details={"state": found.state.name, "cron": found.cron,
                     "started_run_count": int(found.started_run_count),
                     "allow_queueing": bool(found.allow_queueing),
                     "max_run_count": int(found.max_run_count) or None})

    # -- helpers ----------------------------------------------------------------------------
    def _parent(self) -> str:
        if not self.settings.project:
            raise ConfigError("orchestrator 'vertex' has no Google Cloud project",
                              "set SUNDIAL_VERTEX_PROJECT (or project = \"...\" under "
                              "[orchestrators.vertex] in sundial.toml)")
        return f"projects/{self.settings.project}/locations/{self.settings.location}"

    def _endpoint(self) -> str:
        return self.settings.api_endpoint or f"{self.settings.location}-aiplatform.googleapis.com"

    def _clients(self) -> Any:
        if self._apis is None:
            from google.cloud import aiplatform_v1

            options = {"api_endpoint": self._endpoint()}
            credentials = self._credentials()
            self._apis = (
                aiplatform_v1.PipelineServiceClient(credentials=credentials, transport="rest",
                                                    client_options=options),
                aiplatform_v1.ScheduleServiceClient(credentials=credentials, transport="rest",
                                                    client_options=options))
        return self._apis

    def _credentials(self) -> Any:
        if self.settings.credentials == "anonymous":
            from google.auth.credentials import AnonymousCredentials

            return AnonymousCredentials()  # type: ignore[no-untyped-call]
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError

        try:
            credentials, _project = google.auth.default(
                scopes=["https://www.googleapis.com/auth/cloud-platform"])
        except DefaultCredentialsError as err:
            raise OrchestratorError(
                f"no Google Cloud credentials for Vertex AI: {str(err).splitlines()[0]}",
                "run `gcloud auth application-default login`, or point "
                "GOOGLE_APPLICATION_CREDENTIALS at a service account key") from None
        return credentials

    def _call(self, what: str, action: Any, passthrough: tuple[type[Exception], ...] = ()
              ) -> Any:
        """Run ``action(pipeline client, schedule client)``; a refusal or an unreachable
        endpoint becomes an error that names the call and the endpoint."""
        from google.api_core import exceptions

        parent = self._parent()
        pipelines, schedules = self._clients()
        try:
            return action(pipelines, schedules)
        except passthrough:
            raise
        except exceptions.GoogleAPICallError as err:
            raise OrchestratorError(
                f"Vertex AI ({self._endpoint()}, {parent}) refused to {what}: "
                f"{err.code} {err.message}"[:500],
                "read the message above; check SUNDIAL_VERTEX_PROJECT, SUNDIAL_VERTEX_LOCATION "
                "and the credentials' permissions") from None
        except (exceptions.RetryError, OSError) as err:
            raise self._unreachable(err) from None
        except Exception as err:  # requests' connection errors, by their module
            if type(err).__module__.startswith(("requests", "urllib3")):
                raise self._unreachable(err) from None
            raise

    def _unreachable(self, err: Exception) -> OrchestratorError:
        return OrchestratorError(
            f"Vertex AI at {self._endpoint()} did not answer: {type(err).__name__}",
            "check SUNDIAL_VERTEX_API_ENDPOINT / SUNDIAL_VERTEX_LOCATION and the network")

    def _get(self, ref: str) -> Any:
        from google.api_core import exceptions

        try:
            return self._call(f"read schedule {ref}", lambda p, s: s.get_schedule(
                name=ref, timeout=self.settings.timeout), passthrough=(exceptions.NotFound,))
        except exceptions.NotFound:
            raise NotFoundError(f"Vertex AI has no schedule {ref}",
                                "re-create the schedule (it was deleted on Vertex)") from None

    def _job(self, pipeline: str, steps: Any, version_id: int, params: Any,
             schedule_id: str | None) -> Any:
        """The pipeline job (a proto) of the compiled spec; its run id parameter is empty."""
        import tempfile
        from pathlib import Path

        from google.cloud.aiplatform_v1 import types
        from google.protobuf import struct_pb2

        from sundial.config import Settings

        root = self.settings.pipeline_root
        if not root or not root.startswith("gs://"):
            raise ConfigError(
                f"orchestrator 'vertex' needs a gs:// pipeline root, not {root!r}",
                "set SUNDIAL_VERTEX_PIPELINE_ROOT=gs://BUCKET/pipelines (or pipeline_root "
                "under [orchestrators.vertex] in sundial.toml)")
        compiled = self.settings.pipeline(
            backend=self.name, name=pipeline, description=f"sundial pipeline {pipeline}",
            steps=steps, version_id=version_id, params=params, job_placeholder=JOB_PLACEHOLDER,
            store_url=self.store.url, artifact_uri=Settings.from_env().artifact_uri,
            schedule_id=schedule_id)
        with tempfile.TemporaryDirectory(prefix="sundial-vertex-") as tmp:
            spec = compile_package(compiled, Path(tmp) / "pipeline.yaml")
        struct = struct_pb2.Struct()
        struct.update(spec)
        return types.PipelineJob(
            display_name=platform_name(pipeline), pipeline_spec=struct,
            labels={"sundial-pipeline": platform_name(pipeline)[:63]},
            service_account=self.settings.service_account or "",
            runtime_config=types.PipelineJob.RuntimeConfig(gcs_output_directory=root))

    def _start(self, template: Any, run: RunRequest) -> str:
        from google.api_core import exceptions
        from google.cloud.aiplatform_v1 import types
        from google.protobuf import struct_pb2

        job = types.PipelineJob(template)
        job.runtime_config.parameter_values[RUN_ID_PARAM] = struct_pb2.Value(
            string_value=run.run_id)
        job_id = platform_name(f"sundial-{run.run_id}")
        name = f"{self._parent()}/pipelineJobs/{job_id}"
        try:
            made = self._call("create a pipeline job", lambda p, s: p.create_pipeline_job(
                parent=self._parent(), pipeline_job=job, pipeline_job_id=job_id,
                timeout=self.settings.timeout), passthrough=(exceptions.Conflict,))
        except exceptions.Conflict:  # 409: ALREADY_EXISTS over REST
            # A retried submit: the job exists already (reading it proves it is ours).
            self._call(f"read pipeline job {name}", lambda p, s: p.get_pipeline_job(
                name=name, timeout=self.settings.timeout))
            return name
        return str(made.name)

    def _schedule(self, types: Any, deployment: Deployment, timing: VertexTiming,
                  job: Any) -> Any:
        return types.Schedule(
            display_name=platform_name(deployment.name), cron=timing.cron,
            start_time=timing.start_time, end_time=timing.end_time,
            max_run_count=timing.max_run_count or 0,
            max_concurrent_run_count=timing.max_concurrent_run_count,
            max_concurrent_active_run_count=timing.max_concurrent_run_count,
            allow_queueing=timing.allow_queueing,
            create_pipeline_job_request=types.CreatePipelineJobRequest(
                parent=self._parent(), pipeline_job=job))

    def _catchup(self, ref: str) -> bool:
        """The catchup of the sundial schedule deployed as ``ref`` (False when unknown)."""
        from sundial.definition.schedule import Schedule
        from sundial.store.schedule_store import ScheduleStore

        for record in ScheduleStore(self.store).find():
            if record.native_ref == ref and record.orchestrator == self.name:
                return Schedule.from_json(record.definition).catchup
        return False
