"""A loopback stand-in for the Kubernetes API server (no kube-apiserver installs here).

It answers the official ``kubernetes`` client on 127.0.0.1 for the resources sundial uses
(namespaces, pods, batch/v1 Jobs and CronJobs) the way the API does: each request's path and
verb must be one the API has, every body is validated against the Kubernetes 1.30 OpenAPI
schema in strict mode (``kubernetes-validate``), names are checked as the API checks them,
and errors come back as ``Status`` objects with the API's codes (404 NotFound, 409
AlreadyExists, 403 Forbidden, 422 Invalid). Deleting with background propagation removes
what the object owns (a CronJob's Jobs, a Job's pods), as the garbage collector would.

What it cannot show: the real controllers. It makes one pod per created Job at once, as the
Job controller would, but never runs a container or fires a CronJob by itself; tests move
Jobs and pods through their states with :meth:`ApiServer.finish` / :meth:`ApiServer.fire`.
Admission webhooks, quotas and real RBAC evaluation are absent (403s are configured).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import kubernetes_validate
import yaml


def _orchestrators_loopback() -> Any:
    """tests/orchestrators/remote_doubles.py, imported by its path as
    ``orchestrators_loopback`` (it was once named like tests/loopback.py)."""
    name = "orchestrators_loopback"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] /
                                                      "remote_doubles.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


JsonHandler = _orchestrators_loopback().JsonHandler
serve_loopback = _orchestrators_loopback().serve
SCHEMA_VERSION = "1.30.0"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_ROUTES = [
    (re.compile(r"^/api/v1/namespaces/(?P<name>[^/]+)$"), "Namespace"),
    (re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods$"), "Pod"),
    (re.compile(r"^/apis/batch/v1/namespaces/(?P<ns>[^/]+)/jobs(/(?P<name>[^/]+))?$"), "Job"),
    (re.compile(r"^/apis/batch/v1/namespaces/(?P<ns>[^/]+)/cronjobs(/(?P<name>[^/]+))?$"),
     "CronJob"),
]
def _resources(group_version: str, names: list[tuple[str, str, bool]]) -> dict[str, Any]:
    verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": [{"name": plural, "singularName": plural[:-1], "kind": kind,
                           "namespaced": namespaced, "verbs": verbs}
                          for plural, kind, namespaced in names]}


_DISCOVERY: dict[str, dict[str, Any]] = {
    "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
        {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
        "name": "batch", "versions": [{"groupVersion": "batch/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"}}]},
    "/api/v1": _resources("v1", [("namespaces", "Namespace", False), ("pods", "Pod", True)]),
    "/apis/batch/v1": _resources("batch/v1", [("jobs", "Job", True),
                                              ("cronjobs", "CronJob", True)]),
}
_PLURAL = {"Job": "jobs", "CronJob": "cronjobs", "Pod": "pods", "Namespace": "namespaces"}
_GROUP = {"Job": "batch", "CronJob": "batch", "Pod": "", "Namespace": ""}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


class ApiServer:
    """The double's state and its HTTP server; use :func:`serve`."""

    def __init__(self) -> None:
        self.namespaces = {"default", "sundial"}
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}  # (kind, ns, name)
        self.requests: list[tuple[str, str, Any]] = []
        self.forbidden: set[tuple[str, str]] = set()  # (verb, plural), e.g. ("create", "cronjobs")
        self.lock = threading.Lock()
        self.port = 0

    # -- what tests do -----------------------------------------------------------------------
    def kubeconfig(self, path: Path, context: str = "double") -> Path:
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": "double", "cluster": {
                "server": f"http://127.0.0.1:{self.port}"}}],
            "users": [{"name": "tester", "user": {"token": "test-token"}}],
            "contexts": [{"name": context, "context": {"cluster": "double", "user": "tester"}}],
        }))
        return path

    def get(self, kind: str, name: str, namespace: str = "default") -> dict[str, Any] | None:
        return self.objects.get((kind, namespace, name))

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for (k, _ns, _n), o in sorted(self.objects.items()) if k == kind]

    def finish(self, job: str, namespace: str = "default", *, ok: bool = True,
               container: str | None = None, reason: str = "Error", exit_code: int = 1,
               pod_reason: str | None = None) -> None:
        """End a Job as its controller would: ``Complete``, or ``Failed`` with the pod's
        failing container terminated (``reason``: ``OOMKilled``, ``Error``) or the pod itself
        failed (``pod_reason``: ``Evicted``)."""
        with self.lock:
            obj = self.objects.get(("Job", namespace, job))
            if obj is None:  # deleted meanwhile (its schedule was): nothing left to end
                return
            kind = "Complete" if ok else "Failed"
            cond = {"type": kind, "status": "True", "lastTransitionTime": _now()}
            if not ok:
                cond.update(reason="BackoffLimitExceeded",
                            message="Job has reached the specified backoff limit")
            obj["status"] = {"conditions": [cond], "succeeded" if ok else "failed": 1}
            for pod in self._pods_of(namespace, job):
                pod["status"] = {"phase": "Succeeded" if ok else "Failed"}
                if not ok and pod_reason:
                    pod["status"].update(reason=pod_reason,
                                         message="The node was low on resource: memory.")
                elif not ok and container:
                    pod["status"]["initContainerStatuses"] = [{
                        "name": container, "ready": False, "restartCount": 0,
                        "image": "x", "imageID": "", "state": {"terminated": {
                            "exitCode": exit_code, "reason": reason}}}]

    def fire(self, cronjob: str, scheduled: datetime, namespace: str = "default") -> str:
        """Start a Job from the CronJob's template as its controller does at ``scheduled``:
        named ``<cronjob>-<minutes since the epoch>``, annotated with the scheduled time."""
        with self.lock:
            cj = self.objects[("CronJob", namespace, cronjob)]
            name = f"{cronjob}-{int(scheduled.timestamp()) // 60}"
            template = json.loads(json.dumps(cj["spec"]["jobTemplate"]))
            meta = template.get("metadata", {})
            job = {"apiVersion": "batch/v1", "kind": "Job", "spec": template["spec"],
                   "metadata": {**meta, "name": name, "namespace": namespace, "annotations": {
                       "batch.kubernetes.io/cronjob-scheduled-timestamp":
                           scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
                       "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                                            "name": cronjob, "uid": cj["metadata"]["uid"],
                                            "controller": True}]}}
            self._store("Job", namespace, name, job)
            return name

    # -- the API -----------------------------------------------------------------------------
    def handle(self, method: str, url: str, body: Any) -> tuple[int, dict[str, Any]]:
        parsed = urlparse(url)
        self.requests.append((method, parsed.path, body))
        if method == "GET" and parsed.path in _DISCOVERY:  # what kubectl asks first
            return 200, _DISCOVERY[parsed.path]
        routed = next(((kind, m) for pattern, kind in _ROUTES
                       if (m := pattern.match(parsed.path))), None)
        if routed is None:
            return 404, _status(404, "NotFound", f"the server could not find the requested "
                                                 f"resource ({method} {parsed.path})")
        kind, match = routed
        parts = match.groupdict()
        ns = parts.get("ns") or parts.get("name") or ""
        name = parts.get("name") if kind != "Namespace" else None
        query = parse_qs(parsed.query)
        try:
            with self.lock:
                return self._dispatch(method, kind, ns, name, body, query)
        except ApiError as err:
            return err.code, _status(err.code, err.reason, err.message)

    def _dispatch(self, method: str, kind: str, ns: str, name: str | None, body: Any,
                  query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        verb = {"GET": "get" if name or kind == "Namespace" else "list", "POST": "create",
                "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method)
        if verb is None:
            raise ApiError(405, "MethodNotAllowed", f"{method} is not supported")
        plural = _PLURAL[kind]
        if (verb, plural) in self.forbidden:
            group = f"{plural}.{_GROUP[kind]}" if _GROUP[kind] else plural
            raise ApiError(403, "Forbidden", f'{group} is forbidden: User "tester" cannot '
                           f'{verb} resource "{plural}" in API group "{_GROUP[kind]}" in the '
                           f'namespace "{ns}"')
        if kind == "Namespace":
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", f"{method} namespaces: not here")
            if ns not in self.namespaces:
                raise ApiError(404, "NotFound", f'namespaces "{ns}" not found')
            return 200, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns},
                         "status": {"phase": "Active"}}
        if ns not in self.namespaces:
            raise ApiError(404, "NotFound", f'namespaces "{ns}" not found')
        if kind == "Pod":
            if verb != "list":
                raise ApiError(405, "MethodNotAllowed", f"{method} pods: not here")
            selector = query.get("labelSelector", [""])[0]
            pods = [o for (k, n, _), o in self.objects.items() if k == "Pod" and n == ns
                    and _selects(selector, o["metadata"].get("labels", {}))]
            return 200, {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": pods}
        return self._batch(verb, kind, ns, name, body)

    def _batch(self, verb: str, kind: str, ns: str, name: str | None,
               body: Any) -> tuple[int, dict[str, Any]]:
        key = (kind, ns, name or "")
        missing = ApiError(404, "NotFound", f'{_PLURAL[kind]}.batch "{name}" not found')
        if verb == "create":
            if name is not None:
                raise ApiError(405, "MethodNotAllowed", "POST to a named resource")
            obj = self._checked(kind, ns, body)
            key = (kind, ns, obj["metadata"]["name"])
            if key in self.objects:
                raise ApiError(409, "AlreadyExists",
                               f'{_PLURAL[kind]}.batch "{key[2]}" already exists')
            return 201, self._store(kind, ns, key[2], obj)
        if verb == "list":
            items = [o for (k, n, _), o in self.objects.items() if k == kind and n == ns]
            return 200, {"apiVersion": "batch/v1", "kind": f"{kind}List", "items": items,
                         "metadata": {}}
        if key not in self.objects:
            raise missing
        current = self.objects[key]
        if verb == "get":
            return 200, current
        if verb == "delete":
            policy = (body or {}).get("propagationPolicy", "Background")
            if policy not in ("Background", "Foreground", "Orphan"):
                raise ApiError(400, "BadRequest", f"unknown propagationPolicy {policy}")
            self._delete(key, cascade=policy != "Orphan")
            return 200, _status(200, "", "", status="Success")
        if verb == "update":
            obj = self._checked(kind, ns, body)
            if obj["metadata"]["name"] != name:
                raise ApiError(400, "BadRequest", "the name in the body does not match")
        else:  # patch: a merge patch of the spec
            if not isinstance(body, dict):
                raise ApiError(415, "UnsupportedMediaType", "only merge patches here")
            obj = _merge(json.loads(json.dumps(current)), body)
            self._checked(kind, ns, _without_server_fields(obj))
        for field in ("uid", "creationTimestamp"):
            obj["metadata"][field] = current["metadata"][field]
        obj["metadata"]["resourceVersion"] = str(int(current["metadata"]["resourceVersion"]) + 1)
        obj.setdefault("status", current.get("status", {}))
        self.objects[key] = obj
        return 200, obj

    def _checked(self, kind: str, ns: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body is not a JSON object")
        if body.get("apiVersion") != "batch/v1" or body.get("kind") != kind:
            raise ApiError(400, "BadRequest", f"the body is a {body.get('apiVersion')} "
                           f"{body.get('kind')}, not a batch/v1 {kind}")
        meta = body.get("metadata") or {}
        if meta.get("namespace", ns) != ns:
            raise ApiError(400, "BadRequest", "the namespace of the body does not match "
                           "that of the request")
        name = meta.get("name", "")
        limit = 52 if kind == "CronJob" else 63  # a Job's name becomes a pod label value
        if not _DNS_SUBDOMAIN.match(name) or len(name) > limit:
            raise ApiError(422, "Invalid", f'{kind}.batch "{name}" is invalid: metadata.name: '
                           f"must be a DNS-1123 name of at most {limit} characters")
        try:
            kubernetes_validate.validate(body, SCHEMA_VERSION, strict=True)
        except kubernetes_validate.utils.ValidationError as err:
            raise ApiError(422, "Invalid", f'{kind}.batch "{name}" is invalid: '
                           f"{str(err).splitlines()[0]}") from None
        spec = body["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else body["spec"]
        pod = spec["template"]["spec"]
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            if not _DNS_LABEL.match(container["name"]):
                raise ApiError(422, "Invalid", f"container name {container['name']!r} is not "
                               "a DNS-1123 label")
        if pod.get("restartPolicy") not in ("Never", "OnFailure"):
            raise ApiError(422, "Invalid", "a Job's pods must have restartPolicy Never or "
                           "OnFailure")
        return json.loads(json.dumps(body))

    def _store(self, kind: str, ns: str, name: str, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        meta.update(namespace=ns, uid=str(uuid.uuid4()), creationTimestamp=_now(),
                    resourceVersion="1")
        obj["status"] = {"active": 1, "startTime": _now()} if kind == "Job" else {}
        self.objects[(kind, ns, name)] = obj
        if kind == "Job":  # the Job controller's pod
            labels = dict(obj["spec"]["template"].get("metadata", {}).get("labels", {}))
            labels.update({"batch.kubernetes.io/job-name": name, "job-name": name,
                           "batch.kubernetes.io/controller-uid": meta["uid"]})
            pod_name = f"{name}-{uuid.uuid4().hex[:5]}"
            self.objects[("Pod", ns, pod_name)] = {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": pod_name, "namespace": ns, "labels": labels,
                             "uid": str(uuid.uuid4()),
                             "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job",
                                                  "name": name, "uid": meta["uid"],
                                                  "controller": True}]},
                "spec": obj["spec"]["template"]["spec"], "status": {"phase": "Running"}}
        return obj

    def _pods_of(self, ns: str, job: str) -> list[dict[str, Any]]:
        return [o for (k, n, _), o in self.objects.items() if k == "Pod" and n == ns
                and o["metadata"]["labels"].get("batch.kubernetes.io/job-name") == job]

    def _delete(self, key: tuple[str, str, str], cascade: bool) -> None:
        obj = self.objects.pop(key)
        if not cascade:
            return
        uid = obj["metadata"]["uid"]
        owned = [k for k, o in self.objects.items()
                 if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences", []))]
        for k in owned:
            if k in self.objects:
                self._delete(k, cascade=True)


def _without_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    clean = json.loads(json.dumps(obj))
    clean.pop("status", None)
    for field in ("uid", "creationTimestamp", "resourceVersion"):
        clean["metadata"].pop(field, None)
    return clean


def _merge(into: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            into.pop(key, None)
        elif isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _selects(selector: str, labels: dict[str, str]) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


def _status(code: int, reason: str, message: str, status: str = "Failure") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": status,
            "message": message, "reason": reason, "code": code}


def _handler(api: ApiServer) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def _handle(self, verb: str) -> None:
            try:
                body = self._body()
            except ValueError:
                body = "not json"
            # kubectl sends no token over plain http; a wrong token is refused.
            if self.headers.get("Authorization", "Bearer test-token") != "Bearer test-token":
                self._answer(401, _status(401, "Unauthorized", "Unauthorized"))
                return
            self._answer(*api.handle(verb, self.path, body))

    return Handler


@contextmanager
def serve() -> Iterator[ApiServer]:
    api = ApiServer()
    with serve_loopback(_handler(api)) as url:
        api.port = int(url.rsplit(":", 1)[1])
        yield api
