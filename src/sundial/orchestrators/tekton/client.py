"""Tekton's resources through the ``kubernetes`` client's custom-objects API.

:func:`run_state` (pure) reads a PipelineRun's ``Succeeded`` condition the way Tekton means
it; :class:`TektonClient` applies Tasks and Pipelines, creates and reads PipelineRuns, and
turns API failures into sundial errors the way the Kubernetes backend's client does.
"""

from __future__ import annotations

from typing import Any

from sundial.errors import AlreadyExistsError
from sundial.orchestrators.base import RunState
from sundial.orchestrators.kubernetes.client import KubeClient
from sundial.orchestrators.tekton.compiler import GROUP, VERSION
from sundial.orchestrators.tekton.settings import TektonSettings

__all__ = ["TektonClient", "run_state"]

_PLURALS = {"Task": "tasks", "Pipeline": "pipelines", "PipelineRun": "pipelineruns"}
_KINDS = {plural: kind for kind, plural in _PLURALS.items()}
# Reasons of a False Succeeded condition that mean someone stopped the run (Tekton's
# PipelineRunReasonCancelled and friends), not that it failed.
_CANCELLED = {"Cancelled", "CancelledRunFinally", "StoppedRunFinally", "PipelineRunCancelled"}
_PENDING = {"Pending", "PipelineRunPending", "ResolvingPipelineRef"}


def run_state(pipeline_run: dict[str, Any]) -> RunState:
    """The state of a PipelineRun object (as the API returns it), with Tekton's reason."""
    conditions = pipeline_run.get("status", {}).get("conditions") or []
    found = next((c for c in conditions if c.get("type") == "Succeeded"), None)
    if found is None:
        return RunState("queued")
    status, reason = found.get("status"), str(found.get("reason", ""))
    message = str(found.get("message", ""))
    said = f"Tekton: {reason}" + (f" ({message})" if message else "")
    if status == "True":
        return RunState("completed")
    if status == "False":
        return RunState("cancelled" if reason in _CANCELLED else "failed", said)
    return RunState("queued" if reason in _PENDING else "running")


class TektonClient(KubeClient):
    """The Kubernetes backend's client (configuration, one error per API failure) plus the
    custom-objects calls for ``tekton.dev/v1`` in one namespace."""

    def __init__(self, settings: TektonSettings) -> None:
        from kubernetes import client

        super().__init__(kubeconfig=settings.kubeconfig, context=settings.context,
                         in_cluster=settings.in_cluster)
        self.namespace = settings.namespace
        # Any: the client's generated signatures take everything through **kwargs.
        self.custom: Any = client.CustomObjectsApi(self._api)

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create the object, or replace it when it exists (Tasks and Pipelines)."""
        plural = _PLURALS[body["kind"]]
        name = body["metadata"]["name"]
        try:
            return self._custom("create", plural, name, body)
        except AlreadyExistsError:
            current = self._custom("get", plural, name)
            body = {**body, "metadata": {**body["metadata"], "resourceVersion":
                                         current["metadata"]["resourceVersion"]}}
            return self._custom("update", plural, name, body)

    def create_run(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._custom("create", "pipelineruns", body["metadata"]["name"], body)

    def get_run(self, name: str) -> dict[str, Any]:
        return self._custom("get", "pipelineruns", name)

    def cancel_run(self, name: str) -> None:
        """Ask Tekton to cancel the run (``spec.status: Cancelled``)."""
        self._custom("patch", "pipelineruns", name, {"spec": {"status": "Cancelled"}})

    def _custom(self, verb: str, plural: str, name: str, body: dict[str, Any] | None = None
                ) -> dict[str, Any]:
        args: tuple[Any, ...] = (GROUP, VERSION, self.namespace, plural)
        what = f"{_KINDS[plural]} {name}"
        if verb == "create":
            answer = self._call(verb, what, self.namespace,
                                self.custom.create_namespaced_custom_object, *args, body)
        elif verb == "update":
            answer = self._call(verb, what, self.namespace,
                                self.custom.replace_namespaced_custom_object, *args, name, body)
        elif verb == "patch":
            answer = self._call(verb, what, self.namespace,
                                self.custom.patch_namespaced_custom_object, *args, name, body)
        else:
            answer = self._call(verb, what, self.namespace,
                                self.custom.get_namespaced_custom_object, *args, name)
        return answer if isinstance(answer, dict) else {}
