"""Tekton's resources through the ``kubernetes`` client's custom-objects API.

:func:`run_state` (pure) reads a PipelineRun's ``Succeeded`` condition the way Tekton means
it; :class:`TektonClient` applies Tasks and Pipelines, creates and reads PipelineRuns, and
turns API failures into :class:`~sundial.errors.OrchestratorError` naming the server and fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sundial.errors import NotFoundError, OrchestratorError
from sundial.orchestrators.tekton.compiler import GROUP, VERSION
from sundial.orchestrators.tekton.settings import TektonSettings

__all__ = ["RunState", "TektonClient", "run_state"]

_PLURALS = {"Task": "tasks", "Pipeline": "pipelines", "PipelineRun": "pipelineruns"}
# Reasons of a False Succeeded condition that mean someone stopped the run (Tekton's
# PipelineRunReasonCancelled and friends), not that it failed.
_CANCELLED = {"Cancelled", "CancelledRunFinally", "StoppedRunFinally", "PipelineRunCancelled"}
_PENDING = {"Pending", "PipelineRunPending", "ResolvingPipelineRef"}


@dataclass(frozen=True)
class RunState:
    """A PipelineRun's state in sundial's words (queued, running, completed, failed,
    cancelled) and Tekton's reason and message."""

    state: str
    reason: str
    message: str = ""


def run_state(pipeline_run: dict[str, Any]) -> RunState:
    """The state of a PipelineRun object (as the API returns it)."""
    conditions = pipeline_run.get("status", {}).get("conditions") or []
    found = next((c for c in conditions if c.get("type") == "Succeeded"), None)
    if found is None:
        return RunState("queued", "NotStarted", "Tekton has not reconciled the run yet")
    status, reason = found.get("status"), str(found.get("reason", ""))
    message = str(found.get("message", ""))
    if status == "True":
        return RunState("completed", reason, message)
    if status == "False":
        return RunState("cancelled" if reason in _CANCELLED else "failed", reason, message)
    return RunState("queued" if reason in _PENDING else "running", reason, message)


class TektonClient:
    """The custom-objects calls for ``tekton.dev/v1`` in one namespace."""

    def __init__(self, settings: TektonSettings) -> None:
        from kubernetes import client, config

        self.settings = settings
        self.namespace = settings.namespace
        if settings.api_url:
            configuration = client.Configuration(host=settings.api_url)
            if settings.token:
                configuration.api_key = {"authorization": f"Bearer {settings.token}"}
        else:
            configuration = client.Configuration()
            try:
                loader: Any = config  # untyped in some kubernetes releases, typed in others
                loader.load_kube_config(context=settings.context,
                                        client_configuration=configuration)
            except config.ConfigException:
                try:
                    loader.load_incluster_config(client_configuration=configuration)
                except config.ConfigException:
                    raise OrchestratorError(
                        "no Kubernetes cluster configured for the Tekton backend (no "
                        "kubeconfig, not in a pod)",
                        "set KUBECONFIG or SUNDIAL_TEKTON_CONTEXT, or SUNDIAL_TEKTON_API_URL "
                        "to the API server") from None
        # One attempt: an unreachable cluster is reported at once, not after retries.
        configuration.retries = 1
        self.server = configuration.host
        # Any: the client's generated signatures take everything through **kwargs.
        self.api: Any = client.CustomObjectsApi(client.ApiClient(configuration))

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create the object, or replace it when it exists (Tasks and Pipelines)."""
        plural = _PLURALS[body["kind"]]
        name = body["metadata"]["name"]
        try:
            return self._call("create", plural, name, body=body)
        except _Conflict:
            current = self._call("get", plural, name)
            body = {**body, "metadata": {**body["metadata"], "resourceVersion":
                                         current["metadata"]["resourceVersion"]}}
            return self._call("replace", plural, name, body=body)

    def create_run(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("create", "pipelineruns", body["metadata"]["name"], body=body)

    def get_run(self, name: str) -> dict[str, Any]:
        return self._call("get", "pipelineruns", name)

    def cancel_run(self, name: str) -> None:
        """Ask Tekton to cancel the run (``spec.status: Cancelled``)."""
        self._call("patch", "pipelineruns", name, body={"spec": {"status": "Cancelled"}})

    def _call(self, verb: str, plural: str, name: str, body: dict[str, Any] | None = None
              ) -> dict[str, Any]:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        shown = f"{verb} {GROUP}/{VERSION} {plural}/{name} in namespace {self.namespace!r}"
        args: tuple[Any, ...] = (GROUP, VERSION, self.namespace, plural)
        try:
            if verb == "create":
                answer = self.api.create_namespaced_custom_object(*args, body)
            elif verb == "replace":
                answer = self.api.replace_namespaced_custom_object(*args, name, body)
            elif verb == "patch":
                answer = self.api.patch_namespaced_custom_object(*args, name, body)
            else:
                answer = self.api.get_namespaced_custom_object(*args, name)
        except ApiException as err:
            if err.status == 409 and verb == "create":
                raise _Conflict from None
            if err.status == 404:
                raise NotFoundError(
                    f"Tekton at {self.server}: {shown}: not found ({_reason(err)})",
                    "check SUNDIAL_TEKTON_NAMESPACE, and that Tekton Pipelines is installed "
                    "(kubectl get crd pipelineruns.tekton.dev)") from None
            if err.status in (401, 403):
                raise OrchestratorError(
                    f"Tekton at {self.server}: {shown}: forbidden ({_reason(err)})",
                    "give the service account or user RBAC rights on tekton.dev tasks, "
                    "pipelines and pipelineruns in that namespace") from None
            raise OrchestratorError(f"Tekton at {self.server}: {shown}: {err.status} "
                                    f"{_reason(err)}", "fix what the API server says") from None
        except HTTPError as err:
            raise OrchestratorError(
                f"cannot reach the Kubernetes API server at {self.server} ({shown}): {err}",
                "check the cluster is up and the kubeconfig context "
                "(SUNDIAL_TEKTON_CONTEXT / SUNDIAL_TEKTON_API_URL)") from None
        return answer if isinstance(answer, dict) else {}


class _Conflict(Exception):
    """The object exists already (HTTP 409 on create)."""


def _reason(err: Any) -> str:
    import json

    try:
        return str(json.loads(err.body).get("message", err.reason))
    except (TypeError, ValueError, AttributeError):
        return str(err.reason)
