"""``sundial deploy kubernetes --dry-run``: the manifests a deploy would send, as YAML a user
can ``kubectl apply``.

Like ``sundial deploy airflow``, a dry run records the pipeline version in the store (the
steps read it back) but registers no sundial schedule: the CronJob it prints then owns the
schedule, and its runs are recorded as runs of the pipeline, keyed by their Job, with their
tick as nominal time. Without ``--dry-run`` the deploy goes through the contract (a native
schedule registered in sundial, or a run now).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sundial.orchestrators.base import fields_left_default
from sundial.orchestrators.kubernetes.manifests import (
    RunIdentity,
    cronjob_manifest,
    dns_name,
    job_manifest,
)
from sundial.orchestrators.kubernetes.mapping import cronjob_timing

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline
    from sundial.definition.schedule import Schedule
    from sundial.store.store import Store

__all__ = ["dry_run_manifests", "to_yaml"]


def dry_run_manifests(pipeline: Pipeline, params: dict[str, Any], schedule: Schedule | None,
                      *, name: str | None = None, options: Mapping[str, Any] | None = None,
                      store: Store | None = None,
                      ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The CronJob of ``schedule`` (or, without one, a Job that runs the pipeline once), and
    what Kubernetes does for the fields left at their default ("default here").

    :raises UnsupportedScheduleError: the schedule needs what a CronJob cannot express
        (with the fix in CLI flags).
    """
    from sundial.engine.runner import json_params, record_version
    from sundial.orchestrators.kubernetes.orchestrator import KubernetesOrchestrator
    from sundial.store.store import Store

    store = store or Store.from_settings()
    backend = KubernetesOrchestrator(store, KubernetesOrchestrator.load_settings(options))
    instead: dict[str, str] = {}
    if schedule is not None:
        instead = backend.check_schedule(schedule, fields_left_default(schedule),
                                         language="cli")
    pod = backend.pod_options()
    graph, _pipeline_id, version_id = record_version(store, pipeline, params)
    steps = list(graph.invocations)
    identity = RunIdentity(version_id=version_id, params=json_params(params),
                           namespace=pod.namespace, from_cronjob=schedule is not None)
    title = name or (schedule.name if schedule is not None and schedule.name else pipeline.name)
    if schedule is None:
        return [job_manifest(dns_name(f"sundial-{title}", 52), pod, None, pipeline.name, steps,
                             identity=identity)], instead
    timing = cronjob_timing(schedule, datetime.now(UTC))
    return [cronjob_manifest(
        title, pod, pipeline=pipeline.name, schedule_name=title, identity=identity,
        steps=steps, cron=timing.schedule, time_zone=timing.time_zone,
        concurrency_policy=timing.concurrency_policy, suspend=False,
        starting_deadline_seconds=timing.starting_deadline_seconds)], instead


def to_yaml(manifests: list[dict[str, Any]], instead: dict[str, str] | None = None) -> str:
    """The manifests as YAML documents, prefixed with a comment when the pods would be given
    a store on this machine (a SQLite file, a local folder), which a cluster cannot reach."""
    import yaml

    text = str(yaml.safe_dump_all(manifests, sort_keys=False))
    local = sorted({e["value"] for doc in manifests for e in _env(doc)
                    if e["name"] in ("SUNDIAL_DATABASE_URL", "SUNDIAL_ARTIFACT_URI")
                    and (e["value"].startswith(("sqlite:", "/")))})
    for field, what in (instead or {}).items():
        text = f"# {field} left at its default; on Kubernetes: {what}\n" + text
    if local:
        text = ("# The pods are given this machine's store (" + ", ".join(local) + "); on a "
                "real cluster set the kubernetes\n# settings database_url (PostgreSQL) or "
                "env_secret, and artifact_uri (an object store).\n" + text)
    return text


def _env(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    pod = spec["template"]["spec"]
    return [e for c in [*pod.get("initContainers", []), *pod["containers"]]
            for e in c.get("env", []) if "value" in e]


def cli_deploy(request: Any) -> list[str] | None:
    """``sundial deploy kubernetes TARGET ... --dry-run``: the YAML lines to print (the
    generic deploy then stops); ``None`` without ``--dry-run``, so the deploy goes on through
    the contract. ``request`` is ``sundial.cli.deploy.DeployRequest``."""
    if str(request.switches.get("dry_run", "")).lower() not in ("true", "1", "yes"):
        return None
    manifests, instead = dry_run_manifests(request.pipeline, request.params, request.schedule,
                                           name=request.name, options=request.options)
    return to_yaml(manifests, instead).splitlines()
