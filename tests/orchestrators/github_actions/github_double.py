"""A loopback stand-in for GitHub's REST API: the workflow and contents endpoints sundial uses.

It checks each request as GitHub documents it (API version 2022-11-28): the bearer token,
the ``Accept`` and ``X-GitHub-Api-Version`` headers, the paths, and the bodies (a dispatch
needs ``ref`` and only inputs the workflow file declares under ``workflow_dispatch``; a
contents write needs base64 content, a branch, and the current ``sha`` to replace or delete a
file). A workflow exists when its file is on the default branch, as on GitHub.

What it cannot show: GitHub's scheduler, its runners, its rate limits, and how long GitHub
takes to notice a new workflow file.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml
from remote_doubles import JsonHandler, serve

TOKEN = "ghp_test_token"
_REPO = r"/repos/(?P<repo>[\w.-]+/[\w.-]+)"
_ROUTES = [
    ("GET", re.compile(_REPO + r"/actions/workflows/(?P<file>[\w.-]+)$"), "workflow"),
    ("PUT", re.compile(_REPO + r"/actions/workflows/(?P<file>[\w.-]+)/(?P<op>disable|enable)$"),
     "toggle"),
    ("POST", re.compile(_REPO + r"/actions/workflows/(?P<file>[\w.-]+)/dispatches$"),
     "dispatch"),
    ("GET", re.compile(_REPO + r"/actions/workflows/(?P<file>[\w.-]+)/runs$"), "runs"),
    ("GET", re.compile(_REPO + r"/actions/runs/(?P<run>\d+)$"), "run"),
    ("GET", re.compile(_REPO + r"/contents/(?P<path>.+)$"), "get_file"),
    ("PUT", re.compile(_REPO + r"/contents/(?P<path>.+)$"), "put_file"),
    ("DELETE", re.compile(_REPO + r"/contents/(?P<path>.+)$"), "delete_file"),
]


@dataclass
class GitHub:
    repository: str = "acme/ml"
    branch: str = "main"
    files: dict[str, str] = field(default_factory=dict)  # path -> text on the branch
    disabled: set[str] = field(default_factory=set)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    run_details: bool = True  # False: a server that answers a dispatch with 204 only
    #: GitHub's runners: called in the background with (hub, run id) for every dispatched
    #: run (see runner.run_dispatched); None: runs stay queued.
    runner: Callable[[GitHub, int], None] | None = None
    url: str = ""

    def dispatched(self) -> list[dict[str, Any]]:
        return [r for r in self.runs.values() if r["event"] == "workflow_dispatch"]


def _sha(text: str) -> str:
    return hashlib.sha1(f"blob {len(text.encode())}\0{text}".encode()).hexdigest()


def _handler(hub: GitHub) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def _fail(self, code: int, message: str) -> None:
            self._answer(code, {"message": message, "status": str(code)})

        def _handle(self, verb: str) -> None:
            path, _, query = self.path.partition("?")
            body = self._body()
            hub.requests.append((verb, self.path, body))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._fail(401, "Bad credentials")
            if self.headers.get("X-GitHub-Api-Version") != "2022-11-28" or \
                    self.headers.get("Accept") != "application/vnd.github+json":
                return self._fail(400, "missing or unsupported API version headers")
            for method, pattern, name in _ROUTES:
                found = pattern.match(path)
                if method == verb and found:
                    if found["repo"] != hub.repository:
                        return self._fail(404, "Not Found")
                    return getattr(self, name)(found.groupdict(), query, body)
            return self._fail(404, "Not Found")

        def _workflow_path(self, file: str) -> str | None:
            path = f".github/workflows/{file}"
            return path if path in hub.files else None

        def workflow(self, args: dict[str, str], _q: str, _b: Any) -> None:
            path = self._workflow_path(args["file"])
            if path is None:
                return self._fail(404, "Not Found")
            state = "disabled_manually" if path in hub.disabled else "active"
            return self._answer(200, {"id": abs(hash(path)) % 10**6, "path": path,
                                      "state": state, "name": args["file"]})

        def toggle(self, args: dict[str, str], _q: str, _b: Any) -> None:
            path = self._workflow_path(args["file"])
            if path is None:
                return self._fail(404, "Not Found")
            (hub.disabled.add if args["op"] == "disable" else hub.disabled.discard)(path)
            return self._answer(204)

        def dispatch(self, args: dict[str, str], _q: str, body: Any) -> None:
            path = self._workflow_path(args["file"])
            if path is None:
                return self._fail(404, "Not Found")
            if not isinstance(body, dict) or not isinstance(body.get("ref"), str):
                return self._fail(422, "Invalid request: 'ref' is required")
            if body["ref"] != hub.branch:
                return self._fail(422, f"No ref found for: {body['ref']}")
            if path in hub.disabled:
                return self._fail(422, "Workflow is disabled")
            on = yaml.safe_load(hub.files[path]).get("on", {})
            if "workflow_dispatch" not in on:
                return self._fail(422, "Workflow does not have 'workflow_dispatch' trigger")
            declared = (on["workflow_dispatch"] or {}).get("inputs", {})
            inputs = body.get("inputs", {})
            unknown = set(inputs) - set(declared)
            if unknown or not all(isinstance(v, str) for v in inputs.values()):
                return self._fail(422, f"Unexpected inputs provided: {sorted(unknown)}")
            run_id = 1000 + len(hub.runs)
            title = inputs.get("run_id") or yaml.safe_load(hub.files[path]).get("name", path)
            hub.runs[run_id] = {"id": run_id, "event": "workflow_dispatch", "path": path,
                                "status": "queued", "conclusion": None, "inputs": inputs,
                                "display_title": title, "created_at": "2026-11-23T09:00:00Z"}
            if hub.runner is not None:
                threading.Thread(target=hub.runner, args=(hub, run_id), daemon=True).start()
            if body.get("return_run_details") and hub.run_details:
                return self._answer(200, {
                    "workflow_run_id": run_id,
                    "run_url": f"{hub.url}/repos/{hub.repository}/actions/runs/{run_id}",
                    "html_url": f"https://github.invalid/{hub.repository}/actions/runs/"
                                f"{run_id}"})
            return self._answer(204)

        def runs(self, args: dict[str, str], _q: str, _b: Any) -> None:
            path = f".github/workflows/{args['file']}"
            found = sorted((r for r in hub.runs.values() if r["path"] == path),
                           key=lambda r: -int(r["id"]))
            return self._answer(200, {"total_count": len(found), "workflow_runs": found})

        def run(self, args: dict[str, str], _q: str, _b: Any) -> None:
            run = hub.runs.get(int(args["run"]))
            return self._answer(200, run) if run else self._fail(404, "Not Found")

        def get_file(self, args: dict[str, str], query: str, _b: Any) -> None:
            if query != f"ref={hub.branch}" or args["path"] not in hub.files:
                return self._fail(404, "Not Found")
            text = hub.files[args["path"]]
            return self._answer(200, {"type": "file", "path": args["path"], "sha": _sha(text),
                                      "content": base64.b64encode(text.encode()).decode()})

        def put_file(self, args: dict[str, str], _q: str, body: Any) -> None:
            if not isinstance(body, dict) or not body.get("message") or \
                    body.get("branch") != hub.branch:
                return self._fail(422, "Invalid request: message and branch are required")
            try:
                text = base64.b64decode(body["content"], validate=True).decode()
            except (KeyError, ValueError):
                return self._fail(422, "content is not valid Base64")
            old = hub.files.get(args["path"])
            if old is not None and body.get("sha") != _sha(old):
                return self._fail(409, f"{args['path']} does not match {body.get('sha')}")
            hub.files[args["path"]] = text
            hub.commits.append(body["message"])
            return self._answer(200 if old is not None else 201,
                                {"content": {"path": args["path"], "sha": _sha(text)}})

        def delete_file(self, args: dict[str, str], _q: str, body: Any) -> None:
            old = hub.files.get(args["path"])
            if old is None:
                return self._fail(404, "Not Found")
            if not isinstance(body, dict) or body.get("sha") != _sha(old) or \
                    not body.get("message") or body.get("branch") != hub.branch:
                return self._fail(409, "sha, message and branch must match the file")
            del hub.files[args["path"]]
            hub.commits.append(body["message"])
            return self._answer(200, {"content": None})

    return Handler


@contextmanager
def github_double() -> Iterator[GitHub]:
    hub = GitHub()
    with serve(_handler(hub)) as url:
        hub.url = url
        yield hub
