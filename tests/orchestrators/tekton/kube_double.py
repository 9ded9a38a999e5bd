"""A loopback stand-in for a Kubernetes API server with Tekton's CRDs installed.

It answers the custom-objects calls the ``kubernetes`` client makes for ``tekton.dev/v1``
tasks, pipelines and pipelineruns (create, get, replace, merge-patch) as the API server does:
paths ``/apis/tekton.dev/v1/namespaces/{ns}/{plural}[/{name}]``, 201/200 with the stored
object, 404 and 409 as ``Status`` objects, 422 when a body breaks Tekton's CRD schema, a
kind that does not match its path, or a name or namespace that differs from the path's.
Every request is recorded, so a test can check what was sent.

What it cannot show: admission webhooks, RBAC, and the Tekton controller itself (a test
writes a PipelineRun's status the way the controller would).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from remote_doubles import JsonHandler, serve

from tekton.crd_schema import problems

_PATH = re.compile(r"^/apis/tekton\.dev/v1/namespaces/([a-z0-9-]+)/"
                   r"(tasks|pipelines|pipelineruns)(?:/([a-z0-9-]+))?$")
_KINDS = {"tasks": "Task", "pipelines": "Pipeline", "pipelineruns": "PipelineRun"}


@dataclass
class Cluster:
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    forbid: bool = False
    url: str = ""
    config: str = ""  # a kubeconfig pointing here, once kube_double(folder) wrote it
    #: Tekton's controller: called in the background with (cluster, namespace, name) for
    #: every PipelineRun created (see emulator.py); None: runs stay unreconciled.
    controller: Callable[[Cluster, str, str], None] | None = None
    _version: int = 0

    def set_condition(self, namespace: str, name: str, status: str, reason: str,
                      message: str = "") -> None:
        """Write the Succeeded condition, as Tekton's controller does."""
        run = self.objects[(namespace, "pipelineruns", name)]
        run["status"] = {"conditions": [{"type": "Succeeded", "status": status,
                                         "reason": reason, "message": message}]}

    def kubeconfig(self, path: Path) -> str:
        """A kubeconfig whose current context is this server; returns its path."""
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "double",
            "clusters": [{"name": "double", "cluster": {"server": self.url}}],
            "users": [{"name": "tester", "user": {"token": "test-token"}}],
            "contexts": [{"name": "double", "context": {"cluster": "double",
                                                        "user": "tester"}}]}))
        return str(path)

    def bump(self) -> str:
        self._version += 1
        return str(self._version)


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
            "reason": reason, "message": message}


def _handler(cluster: Cluster) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def _handle(self, verb: str) -> None:
            path = self.path.split("?")[0]
            body = self._body()
            cluster.requests.append((verb, path, body))
            found = _PATH.match(path)
            if found is None:
                return self._answer(404, _status(404, "NotFound", f"no route {path}"))
            if cluster.forbid:
                return self._answer(403, _status(403, "Forbidden", "pipelineruns.tekton.dev "
                                                 "is forbidden: User cannot create"))
            namespace, plural, name = found.groups()
            if verb == "POST" and name is None:
                return self._create(namespace, plural, body)
            key = (namespace, plural, name or "")
            if key not in cluster.objects:
                return self._answer(404, _status(404, "NotFound",
                                                 f'{plural}.tekton.dev "{name}" not found'))
            if verb == "GET":
                return self._answer(200, cluster.objects[key])
            if verb == "PUT":
                invalid = self._invalid(namespace, plural, body, name)
                if invalid:
                    return self._answer(422, _status(422, "Invalid", invalid))
                current = cluster.objects[key]["metadata"]["resourceVersion"]
                if body["metadata"].get("resourceVersion") != current:
                    return self._answer(409, _status(409, "Conflict", "the object has been "
                                                     "modified"))
                body["metadata"]["resourceVersion"] = cluster.bump()
                cluster.objects[key] = body
                return self._answer(200, body)
            if verb == "PATCH":
                if self.headers.get("Content-Type") != "application/merge-patch+json":
                    return self._answer(415, _status(415, "UnsupportedMediaType",
                                                     self.headers.get("Content-Type", "")))
                _merge(cluster.objects[key], body)
                return self._answer(200, cluster.objects[key])
            return self._answer(405, _status(405, "MethodNotAllowed", verb))

        def _create(self, namespace: str, plural: str, body: Any) -> None:
            invalid = self._invalid(namespace, plural, body, None)
            if invalid:
                return self._answer(422, _status(422, "Invalid", invalid))
            key = (namespace, plural, body["metadata"]["name"])
            if key in cluster.objects:
                return self._answer(409, _status(409, "AlreadyExists",
                                                 f'{plural}.tekton.dev "{key[2]}" already '
                                                 "exists"))
            body["metadata"]["resourceVersion"] = cluster.bump()
            body["metadata"]["uid"] = f"uid-{cluster._version}"
            cluster.objects[key] = body
            self._answer(201, body)
            if plural == "pipelineruns" and cluster.controller is not None:
                threading.Thread(target=cluster.controller, args=(cluster, namespace, key[2]),
                                 daemon=True).start()
            return None

        def _invalid(self, namespace: str, plural: str, body: Any, name: str | None) -> str:
            if not isinstance(body, dict):
                return "body is not an object"
            if body.get("kind") != _KINDS[plural]:
                return f"kind {body.get('kind')!r} sent to {plural}"
            meta = body.get("metadata") or {}
            if meta.get("namespace", namespace) != namespace:
                return f"namespace {meta.get('namespace')!r} does not match the path"
            if not meta.get("name") or (name is not None and meta["name"] != name):
                return "metadata.name is missing or differs from the path"
            return "; ".join(problems(body))

    return Handler


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """RFC 7386 JSON merge patch."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


@contextmanager
def kube_double(folder: Path | None = None) -> Iterator[Cluster]:
    """The double, serving; with ``folder``, a kubeconfig for it is written there."""
    cluster = Cluster()
    with serve(_handler(cluster)) as url:
        cluster.url = url
        if folder is not None:
            cluster.config = cluster.kubeconfig(folder / "kubeconfig")
        yield cluster
