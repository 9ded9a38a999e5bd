"""The Kubernetes backend: a Job per run, a CronJob per native schedule (official client).

Which Schedule features a CronJob honours is ``capabilities`` plus, for combinations,
``mapping.refusals``; docs/orchestrators/kubernetes.md explains each. Runs made by the CronJob
controller create their own run record from inside their first step (keyed by the Job's
name, with the schedule id and the nominal time the controller put in that name), so they are
first-class runs of the schedule, exactly once per tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from sundial.errors import OrchestratorError
from sundial.orchestrators.base import Capability, Orchestrator, RunRequest, RunState
from sundial.orchestrators.kubernetes.client import KubeClient
from sundial.orchestrators.kubernetes.manifests import (
    PodOptions,
    RunIdentity,
    cronjob_manifest,
    dns_name,
    job_from_cronjob,
    job_manifest,
    step_container_name,
)
from sundial.orchestrators.kubernetes.mapping import cronjob_timing, refusals
from sundial.orchestrators.kubernetes.status import job_state
from sundial.orchestrators.native import Deployment, PlatformSchedule, Problem
from sundial.orchestrators.settings import BackendSettings

if TYPE_CHECKING:
    from sundial.definition.schedule import Schedule

__all__ = ["KubernetesOrchestrator", "KubernetesSettings"]

N, S = Capability.NATIVE, Capability.SUNDIAL


class KubernetesSettings(BackendSettings):
    """Where and how the runs' pods start."""

    namespace: str = Field("default", description="namespace of the Jobs and CronJobs")
    image: str | None = Field(None, description="the pipeline's image (`sundial build`); "
                                                "its entrypoint is `sundial step run`")
    service_account: str | None = Field(None, description="the pods' service account")
    resources: dict[str, dict[str, str]] = Field(
        default_factory=dict, description='each step container\'s resources, e.g. '
                                          '{"requests": {"cpu": "500m"}}')
    node_selector: dict[str, str] = Field(default_factory=dict, description="nodeSelector")
    tolerations: list[dict[str, Any]] = Field(default_factory=list, description="tolerations")
    image_pull_secrets: list[str] = Field(default_factory=list,
                                          description="names of image pull Secrets")
    env: dict[str, str] = Field(default_factory=dict, description="environment of the steps")
    env_secret: str | None = Field(
        None, description="a Secret whose keys become the steps' environment (put "
                          "SUNDIAL_DATABASE_URL with its password there)")
    database_url: str | None = Field(
        None, description="the store as the pods reach it (default: this process's store, "
                          "unless its URL has a password: use env_secret then)")
    artifact_uri: str | None = Field(
        None, description="the artifact store as the pods reach it (default: this process's)")
    kubeconfig: str | None = Field(None, description="kubeconfig file (default: $KUBECONFIG "
                                                     "or ~/.kube/config)")
    context: str | None = Field(None, description="kubeconfig context (default: current)")
    in_cluster: bool = Field(False, description="use the pod's service account instead")
    history_limit: int = Field(3, description="finished Jobs a CronJob keeps, per outcome")
    ttl_seconds_after_finished: int | None = Field(
        7 * 24 * 3600, description="finished run Jobs are deleted after this (None: kept)")


class KubernetesOrchestrator(Orchestrator):
    name: ClassVar[str] = "kubernetes"
    description: ClassVar[str] = ("Kubernetes (official client): a Job per run, one pod with a "
                                  "container per step; schedules as CronJobs")
    extra: ClassVar[str | None] = "kubernetes"
    settings_class: ClassVar[type[BackendSettings]] = KubernetesSettings
    capabilities: ClassVar[dict[str, Capability]] = {
        "cron_expression": N,  # explicit value lists; DST-crossing crons refused (k8s#121594)
        "interval_second": N,  # as a UTC cron when exact, else refused
        "run_once_start_time": S,  # a CronJob repeats
        "start_time": N,  # interval: already started (the due tick runs at deploy); cron: S
        "end_time": S,  # a CronJob has no end
        "catchup": N,  # False only: the controller starts the newest missed tick
        "timezone": N,  # spec.timeZone, never a zone in the cron string (DST: see cron)
        "overlap=queue": S,  # Forbid would drop the tick
        "overlap=skip": N,  # concurrencyPolicy Forbid (max_active_runs=1)
        "overlap=replace": N,  # concurrencyPolicy Replace (max_active_runs=1)
        "overlap=allow": N,  # concurrencyPolicy Allow
        "max_active_runs": N,  # 1, or any with overlap=allow
        "catchup_window": N,  # only means something with catchup=True, itself refused
        "jitter": S,
        "max_runs": S,
    }
    conditions: ClassVar[dict[str, str]] = {
        "cron_expression": "when no fire time falls inside a DST change of the zone (Kubernetes "
                           "runs a repeated wall time twice, kubernetes#121594) and no '*'-led "
                           "day field meets a restricted other day field",
        "timezone": "under cron_expression's DST condition",
        "interval_second": "when it is a whole number of minutes dividing an hour, of hours "
                           "dividing a day, or a day or a week, from a whole minute",
        "start_time": "for an interval schedule that has started (its newest tick runs at "
                      "deploy); a cron start_time runs in sundial mode",
        "catchup": "with catchup=False (the controller runs only the newest missed tick)",
        "max_active_runs": "when it is 1, or with overlap=allow",
        "overlap=skip": "with max_active_runs=1 (concurrencyPolicy Forbid)",
        "overlap=replace": "with max_active_runs=1 (concurrencyPolicy Replace)",
        "catchup_window": "trivially: it only means something with catchup=True, which runs in "
                          "sundial mode",
    }
    defaults: ClassVar[dict[str, str]] = {
        "overlap=queue": "concurrencyPolicy Forbid: a tick that comes while the previous "
                         "run is active is skipped, not queued",
    }
    unsupported_operations: ClassVar[dict[str, str]] = {}

    @property
    def options(self) -> KubernetesSettings:
        assert isinstance(self.settings, KubernetesSettings)
        return self.settings

    # -- checking ---------------------------------------------------------------------------
    @classmethod
    def problems(cls, schedule: Schedule) -> list[Problem]:
        capability_fields = {f for f, c in cls.capabilities.items() if c is not N}
        found = []
        for refusal in refusals(schedule, datetime.now(UTC)):
            if set(refusal.fields) <= capability_fields:
                continue  # already refused by the capability table
            yields = "overlap" if refusal.fields == ("overlap=queue",) else None
            found.append(Problem(fields=refusal.fields, reason=refusal.reason,
                                 advice=refusal.fix, yields=yields,
                                 default_here=cls.defaults.get("overlap=queue")
                                 if yields else None))
        return found

    def platform_name(self, name: str) -> str:
        return dns_name(name, 52)

    # -- helpers ----------------------------------------------------------------------------
    def client(self) -> KubeClient:
        return KubeClient(kubeconfig=self.options.kubeconfig, context=self.options.context,
                          in_cluster=self.options.in_cluster)

    def pod_options(self) -> PodOptions:
        from sundial.config import Settings
        from sundial.orchestrators.local_docker.containers import store_access

        o = self.options
        if not o.image:
            raise OrchestratorError(
                "the kubernetes backend has no image to run the steps in",
                "build one with `sundial build TARGET --tag REGISTRY/NAME:TAG`, push it, and "
                "set the kubernetes image setting (--image, SUNDIAL_KUBERNETES_IMAGE)")
        env = dict(o.env)
        if o.env_secret is None or o.database_url or o.artifact_uri:
            current = Settings.from_env()
            url = o.database_url or self.store.url
            if "@" in url.split("://", 1)[-1].split("/", 1)[0] and ":" in \
                    url.split("://", 1)[-1].split("@", 1)[0] and o.env_secret is None:
                raise OrchestratorError(
                    "the store's URL has a password, which sundial does not write into "
                    "manifests", "put SUNDIAL_DATABASE_URL in a Secret and set the kubernetes "
                    "env_secret setting to its name")
            if o.env_secret is None or o.database_url:
                local, _mounts, _net = store_access(Settings(
                    home=current.home, database_url=url,
                    artifact_uri=o.artifact_uri or current.artifact_uri))
                env = {**local, **env}
        return PodOptions(image=o.image, namespace=o.namespace,
                          service_account=o.service_account, resources=o.resources,
                          node_selector=o.node_selector, tolerations=o.tolerations,
                          image_pull_secrets=o.image_pull_secrets, env=env,
                          env_secret=o.env_secret,
                          ttl_seconds_after_finished=o.ttl_seconds_after_finished)

    def _steps(self, version_id: int) -> list[str]:
        spec, _source = self.store.version_source(version_id)
        return [s["id"] for s in spec["steps"]]

    # -- runs -------------------------------------------------------------------------------
    def submit(self, run: RunRequest) -> str:
        """Create the run's Job; the reference is ``NAMESPACE/JOB``."""
        options = self.pod_options()
        name = dns_name(f"sundial-{run.pipeline}", 50) + f"-{run.run_id[:8]}"
        body = job_manifest(name, options, run.run_id, run.pipeline,
                            self._steps(run.version_id), schedule=run.schedule_name)
        kube = self.client()
        try:
            kube.namespace_exists(options.namespace)
            kube.create(body)
        finally:
            kube.close()
        return f"{options.namespace}/{body['metadata']['name']}"

    def run_status(self, ref: str) -> RunState:
        namespace, _, job = ref.partition("/")
        kube = self.client()
        try:
            state = job_state(kube.read("Job", job, namespace), kube.pods_of_job(job, namespace))
        finally:
            kube.close()
        if state.status == "failed":
            self._record_failure(ref, state.reason or "the Job failed", state.step_container)
        status = "queued" if state.status == "queued" else state.status
        return RunState(status, state.reason)  # type: ignore[arg-type]

    def _record_failure(self, ref: str, reason: str, container: str | None) -> None:
        """Mark the run's unfinished steps as Kubernetes ended them: the failing step failed
        with the reason, the steps after it skipped (the pod stopped there)."""
        from sundial.store.records import CACHED, COMPLETED, FAILED, RUNNING

        run = self._run_of(ref)
        if run is None or run.status in ("completed", "failed", "cancelled"):
            return
        spec = self.store.version_source(self._version_of(run.id))[0]
        blamed = None
        for position, step in enumerate(spec["steps"]):
            record = run.steps.get(step["id"])
            if record is not None and record.status in (COMPLETED, CACHED, FAILED, "skipped"):
                continue
            if blamed is None and (container is None or
                                   step_container_name(step["id"]) == container):
                blamed = step["id"]
                step_run_id = record.id if record is not None else self.store.start_step_run(
                    run_id=run.id, name=step["id"], step=step["step"], position=position,
                    status=RUNNING)
                self.store.finish_step_run(step_run_id, status=FAILED, error=reason)
            else:
                self.store.record_skipped(run_id=run.id, name=step["id"], step=step["step"],
                                          position=position,
                                          reason=f"the run's pod ended: {reason}")
        from sundial.store.store import utcnow

        self.store.update_run(run.id, status=FAILED, ended_at=utcnow(), error=reason)

    def _run_of(self, ref: str) -> Any:
        found = self.store.run_for_external_id(ref)
        return None if found is None else self.store.get_run(found)

    def _version_of(self, run_id: str) -> int:
        return self.store.run_definition(run_id)[0]

    def cancel(self, ref: str) -> None:
        namespace, _, job = ref.partition("/")
        kube = self.client()
        try:
            kube.delete("Job", job, namespace)
        finally:
            kube.close()

    # -- native schedules -------------------------------------------------------------------
    def _cronjob(self, deployment: Deployment, suspend: bool) -> tuple[dict[str, Any],
                                                                      datetime | None]:
        timing = cronjob_timing(deployment.schedule, datetime.now(UTC))
        identity = RunIdentity(version_id=deployment.version_id, params=deployment.params,
                               schedule_id=deployment.schedule_id,
                               namespace=self.options.namespace)
        body = cronjob_manifest(
            self.platform_name(deployment.name), self.pod_options(),
            pipeline=deployment.pipeline, schedule_name=deployment.name, identity=identity,
            steps=[s["id"] for s in deployment.spec["steps"]], cron=timing.schedule,
            time_zone=timing.time_zone, concurrency_policy=timing.concurrency_policy,
            suspend=suspend, starting_deadline_seconds=timing.starting_deadline_seconds,
            history=(self.options.history_limit, self.options.history_limit))
        return body, timing.due

    def create_schedule(self, deployment: Deployment) -> str:
        self.check_schedule(deployment.schedule, deployment.defaulted)
        body, due = self._cronjob(deployment, deployment.paused)
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        kube = self.client()
        try:
            kube.namespace_exists(namespace)
            created = kube.create(body)
            if due is not None and not deployment.paused:
                # The controller never runs a tick from before the CronJob existed; sundial
                # runs the newest one at once. The Job gets the name the controller gives
                # that tick, so the two can never both run it.
                try:
                    kube.create(_due_job(created, due))
                except BaseException:
                    kube.delete("CronJob", name, namespace)
                    raise
        finally:
            kube.close()
        return f"{namespace}/{name}"

    def update_schedule(self, ref: str, deployment: Deployment) -> None:
        self.check_schedule(deployment.schedule, deployment.defaulted)
        namespace, _, name = ref.partition("/")
        kube = self.client()
        try:
            live = kube.read("CronJob", name, namespace)
            body, _due = self._cronjob(deployment, bool(live["spec"].get("suspend")))
            body["metadata"]["name"] = name
            body["metadata"]["resourceVersion"] = live["metadata"].get("resourceVersion")
            kube.replace_cronjob(body)
        finally:
            kube.close()

    def _suspend(self, ref: str, suspend: bool) -> None:
        namespace, _, name = ref.partition("/")
        kube = self.client()
        try:
            kube.suspend_cronjob(name, namespace, suspend)
        finally:
            kube.close()

    def pause_schedule(self, ref: str) -> None:
        self._suspend(ref, True)

    def resume_schedule(self, ref: str) -> None:
        self._suspend(ref, False)

    def delete_schedule(self, ref: str) -> None:
        from sundial.errors import NotFoundError

        namespace, _, name = ref.partition("/")
        kube = self.client()
        try:
            kube.delete("CronJob", name, namespace)
        except NotFoundError:
            pass  # already gone: deleting is idempotent
        finally:
            kube.close()

    def trigger_schedule(self, ref: str, run: RunRequest) -> str:
        """A Job from the CronJob's template for the recorded run, as ``kubectl create job
        --from=cronjob/NAME`` makes it."""
        namespace, _, name = ref.partition("/")
        kube = self.client()
        try:
            live = kube.read("CronJob", name, namespace)
            job = job_from_cronjob(live, f"{name[:42]}-m{run.run_id[:8]}", run.run_id)
            kube.create(job)
        finally:
            kube.close()
        return f"{namespace}/{job['metadata']['name']}"

    def backfill_schedule(self, ref: str, runs: Sequence[RunRequest]) -> list[str]:
        return [self.trigger_schedule(ref, run) for run in runs]

    def describe_schedule(self, ref: str) -> PlatformSchedule:
        from sundial.errors import NotFoundError

        namespace, _, name = ref.partition("/")
        kube = self.client()
        try:
            live = kube.read("CronJob", name, namespace)
        except NotFoundError:
            return PlatformSchedule(ref=ref, exists=False)
        finally:
            kube.close()
        spec, status = live["spec"], live.get("status") or {}
        return PlatformSchedule(ref=ref, exists=True, paused=bool(spec.get("suspend")),
                                details={"schedule": spec["schedule"],
                                         "timeZone": spec.get("timeZone"),
                                         "concurrencyPolicy": spec.get("concurrencyPolicy"),
                                         "lastScheduleTime": status.get("lastScheduleTime"),
                                         "active": len(status.get("active") or [])})


def _due_job(cronjob: dict[str, Any], due: datetime) -> dict[str, Any]:
    """The Job the controller would have made for the tick ``due``: its name and template."""
    import copy

    meta = cronjob["metadata"]
    name = f"{meta['name']}-{int(due.timestamp()) // 60}"
    template = copy.deepcopy(cronjob["spec"]["jobTemplate"])
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {**template.get("metadata", {}), "name": name,
                         "namespace": meta["namespace"],
                         "annotations": {"batch.kubernetes.io/cronjob-scheduled-timestamp":
                                         due.strftime("%Y-%m-%dT%H:%M:%SZ")},
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                                              "name": meta["name"], "uid": meta.get("uid", ""),
                                              "controller": True,
                                              "blockOwnerDeletion": True}]},
            "spec": template["spec"]}
