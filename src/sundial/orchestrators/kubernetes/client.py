"""The few Kubernetes API calls sundial makes, through the official ``kubernetes`` client.

Objects go in and come out as plain dicts in the API's own camelCase form (what the
manifests module writes and ``kubectl get -o json`` prints), so the rest of the backend never
touches the client's model classes. Every API error becomes one sundial error that names the
object, the namespace and the fix: a namespace that does not exist, RBAC forbidding a verb, a
cluster that cannot be reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sundial.errors import (
    AlreadyExistsError,
    BackendNotInstalledError,
    NotFoundError,
    OrchestratorError,
)

__all__ = ["KubeClient"]

T = TypeVar("T")


class KubeClient:
    """One API connection, configured from a kubeconfig context or the pod's service account.

    :param kubeconfig: the kubeconfig file (default: ``$KUBECONFIG``, else ``~/.kube/config``).
    :param context: its context to use (default: the current one).
    :param in_cluster: use the service account of the pod sundial runs in instead.
    """

    def __init__(self, *, kubeconfig: str | None = None, context: str | None = None,
                 in_cluster: bool = False) -> None:
        try:
            from kubernetes import client, config
        except ImportError:
            raise BackendNotInstalledError(
                "the kubernetes backend needs the package 'kubernetes', which is not installed",
                "pip install 'sundial[kubernetes]'") from None

        configuration = client.Configuration()
        try:
            if in_cluster:
                config.load_incluster_config(client_configuration=configuration)
            else:
                config.load_kube_config(config_file=kubeconfig, context=context,
                                        client_configuration=configuration)
        except (config.ConfigException, OSError) as err:
            where = "the pod's service account" if in_cluster else (
                f"kubeconfig {kubeconfig or '$KUBECONFIG or ~/.kube/config'}"
                + (f", context {context!r}" if context else ""))
            raise OrchestratorError(f"cannot load the Kubernetes configuration from {where}: "
                                    f"{err}", "set the kubernetes backend's kubeconfig and "
                                    "context settings, or in_cluster=true inside a pod") from None
        configuration.retries = 1  # an unreachable cluster is reported now, not after minutes
        self.host = configuration.host
        self._api = client.ApiClient(configuration)
        self.batch = client.BatchV1Api(self._api)
        self.core = client.CoreV1Api(self._api)

    def close(self) -> None:
        self._api.close()

    # -- calls ------------------------------------------------------------------------------
    def _call(self, verb: str, what: str, namespace: str, fn: Callable[..., T],
              *args: Any, **kwargs: Any) -> T:
        from kubernetes.client.exceptions import ApiException
        from pydantic import ValidationError
        from urllib3.exceptions import HTTPError

        try:
            return fn(*args, _request_timeout=30, **kwargs)
        except ApiException as err:
            raise self._error(err, verb, what, namespace) from None
        except ValidationError as err:  # the client checks bodies against its models first
            first = err.errors()[0]
            raise OrchestratorError(
                f"the {what} manifest is not valid for the Kubernetes API: "
                f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}",
                "fix the backend setting that produced that field") from None
        except (HTTPError, OSError) as err:
            raise OrchestratorError(
                f"cannot reach the Kubernetes API at {self.host} to {verb} {what}: "
                f"{type(err).__name__}", "check that the cluster is up and that the kubernetes "
                "backend's kubeconfig/context settings point at it "
                "(`kubectl cluster-info`)") from None

    def _error(self, err: Any, verb: str, what: str, namespace: str) -> Exception:
        import json

        try:
            message = json.loads(err.body).get("message", "")
        except (TypeError, ValueError):
            message = str(err.reason)
        where = f"{what} in namespace {namespace!r}"
        if err.status == 403:
            resource = what.split()[0].lower() + "s"
            return OrchestratorError(
                f"Kubernetes forbids this to {verb} {where}: {message}",
                f"grant the account RBAC rights to {verb} {resource} in {namespace!r} "
                f"(check with `kubectl auth can-i {verb} {resource} -n {namespace}`)")
        if err.status == 404:
            if "namespaces" in message and "not found" in message and "namespace" not in what:
                return NotFoundError(f"namespace {namespace!r} does not exist ({verb} {what})",
                                     f"create it (`kubectl create namespace {namespace}`) or "
                                     "set the kubernetes backend's namespace setting")
            return NotFoundError(f"no {where} on the cluster: {message}",
                                 "check the name and namespace, or deploy it again")
        if err.status == 409:
            return AlreadyExistsError(f"{where} exists already: {message}",
                                      "delete it first, or choose another name")
        return OrchestratorError(f"Kubernetes refused to {verb} {where} "
                                 f"(HTTP {err.status}): {message}",
                                 "fix the settings the message names and try again")

    def _plain(self, obj: Any) -> dict[str, Any]:
        plain: dict[str, Any] = self._api.sanitize_for_serialization(obj)
        return plain

    def namespace_exists(self, namespace: str) -> None:
        """:raises NotFoundError: the namespace does not exist (before anything is created)."""
        try:
            self._call("get", f"namespace {namespace}", namespace,
                       self.core.read_namespace, namespace)
        except NotFoundError:
            raise NotFoundError(f"namespace {namespace!r} does not exist",
                                f"create it (`kubectl create namespace {namespace}`) or set "
                                "the kubernetes backend's namespace setting") from None

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        kind, ns, name = body["kind"], body["metadata"]["namespace"], body["metadata"]["name"]
        fn = {"Job": self.batch.create_namespaced_job,
              "CronJob": self.batch.create_namespaced_cron_job}[kind]
        return self._plain(self._call("create", f"{kind} {name}", ns, fn, ns, dict(body)))

    def read(self, kind: str, name: str, namespace: str) -> dict[str, Any]:
        fn = {"Job": self.batch.read_namespaced_job,
              "CronJob": self.batch.read_namespaced_cron_job}[kind]
        return self._plain(self._call("get", f"{kind} {name}", namespace, fn, name, namespace))

    def replace_cronjob(self, body: Mapping[str, Any]) -> dict[str, Any]:
        ns, name = body["metadata"]["namespace"], body["metadata"]["name"]
        return self._plain(self._call("update", f"CronJob {name}", ns,
                                      self.batch.replace_namespaced_cron_job, name, ns,
                                      dict(body)))

    def suspend_cronjob(self, name: str, namespace: str, suspend: bool) -> dict[str, Any]:
        return self._plain(self._call("patch", f"CronJob {name}", namespace,
                                      self.batch.patch_namespaced_cron_job, name, namespace,
                                      {"spec": {"suspend": suspend}}))

    def delete(self, kind: str, name: str, namespace: str) -> None:
        """Delete with background propagation, so the owned Jobs and pods go too."""
        fn = {"Job": self.batch.delete_namespaced_job,
              "CronJob": self.batch.delete_namespaced_cron_job}[kind]
        self._call("delete", f"{kind} {name}", namespace, fn, name, namespace,
                   propagation_policy="Background")

    def pods_of_job(self, name: str, namespace: str) -> list[dict[str, Any]]:
        found = self._call("list", f"Pod of Job {name}", namespace,
                           self.core.list_namespaced_pod, namespace,
                           label_selector=f"batch.kubernetes.io/job-name={name}")
        return [self._plain(p) for p in found.items]
