"""A loopback test double of the Vertex AI API (REST, ``/v1``): pipeline jobs and schedules.

Every request body is parsed with the published protos of ``google-cloud-aiplatform``
(``aiplatform_v1.types``) with unknown fields refused, its path checked against the REST
bindings (``projects/P/locations/L/...``), and the rules the service states checked too (a
cron as ``TZ=zone`` + five fields, a positive concurrency, start before end). Mismatches are
kept in ``violations`` and answered 400, as the service answers bad requests.

What it cannot show: that Vertex runs the compiled spec, fires at the instants the mapping
claims (its DST rule is undocumented, so sundial refuses crons that meet one), or IAM.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.cloud.aiplatform_v1 import types
from remote_doubles import JsonHandler, serve

_PARENT = r"/v1/projects/([^/]+)/locations/([^/]+)"
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*,/-]+$")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def cron_error(cron: str) -> str | None:
    """Why Vertex would refuse ``cron`` (``TZ=`` or ``CRON_TZ=`` prefix, then unix-cron)."""
    parts = cron.split()
    if parts and parts[0].startswith(("TZ=", "CRON_TZ=")):
        zone = parts.pop(0).split("=", 1)[1]
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return f"unknown time zone {zone!r} in cron {cron!r}"
    if len(parts) != 5 or not all(_CRON_FIELD.match(p) for p in parts):
        return f"cron {cron!r} is not five unix-cron fields"
    return None


class VertexDouble:
    """The service's state and every request seen."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.schedules: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.violations: list[str] = []
        self.resumes: list[tuple[str, bool]] = []  # (schedule, catch_up) of each resume
        self.fail_next: int | None = None
        #: Runs a created job's steps, as Vertex would: (spec, parameters, placeholder values)
        #: → (succeeded, error message). None: jobs stay PENDING until a test moves them.
        self.executor: Any = None
        self.lock = threading.Lock()
        self.url = ""

    def handle(self, method: str, raw_path: str, body: Any) -> tuple[int, Any]:
        parsed = urlparse(raw_path)
        path, query = parsed.path, parse_qs(parsed.query)
        with self.lock:
            self.requests.append((method, path, body))
            if self.fail_next is not None and method != "GET":
                code, self.fail_next = self.fail_next, None
                return code, {"error": {"code": code, "message": "injected failure",
                                        "status": "UNAVAILABLE"}}
            for pattern, verb, handler in self._routes():
                found = re.fullmatch(_PARENT + pattern, path)
                if found and verb == method:
                    result: tuple[int, Any] = handler(body, query, *found.groups())
                    return result
        return self._bad(f"no route {method} {path}", 404)

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("/pipelineJobs", "POST", self._create_job),
            ("/pipelineJobs/([^/:]+)", "GET", self._get_job),
            ("/pipelineJobs/([^/:]+):cancel", "POST", self._cancel_job),
            ("/schedules", "POST", self._create_schedule),
            ("/schedules/([^/:]+)", "GET", self._get_schedule),
            ("/schedules/([^/:]+)", "PATCH", self._update_schedule),
            ("/schedules/([^/:]+)", "DELETE", self._delete_schedule),
            ("/schedules/([^/:]+):pause", "POST", self._pause),
            ("/schedules/([^/:]+):resume", "POST", self._resume),
        ]

    def _bad(self, message: str, code: int = 400) -> tuple[int, Any]:
        self.violations.append(message)
        status = "INVALID_ARGUMENT" if code == 400 else "NOT_FOUND"
        return code, {"error": {"code": code, "message": message, "status": status}}

    @staticmethod
    def _missing(name: str) -> tuple[int, Any]:
        return 404, {"error": {"code": 404, "message": f"{name} not found",
                               "status": "NOT_FOUND"}}

    def _parse(self, message: Any, body: Any) -> str | None:
        try:
            message.from_json(json.dumps(body), ignore_unknown_fields=False)
        except Exception as err:  # the proto parser's refusal, whatever its type
            return f"body is not a {message.__name__}: {err}"
        return None

    # -- pipeline jobs --------------------------------------------------------------------
    def _job_problem(self, job: Any) -> str | None:
        spec = job.get("pipelineSpec") or {}
        if "root" not in spec or "pipelineInfo" not in spec:
            return "pipelineSpec is not a compiled KFP v2 pipeline spec"
        if not (job.get("runtimeConfig") or {}).get("gcsOutputDirectory", "").startswith(
                "gs://"):
            return "runtimeConfig.gcsOutputDirectory must be a gs:// URI"
        return None

    def _create_job(self, body: Any, query: Any, project: str, location: str,
                    ) -> tuple[int, Any]:
        problem = self._parse(types.PipelineJob, body) or self._job_problem(body)
        if problem:
            return self._bad(problem)
        ident = (query.get("pipelineJobId") or [uuid.uuid4().hex])[0]
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,127}", ident):
            return self._bad(f"pipelineJobId {ident!r} is not a valid id")
        name = f"projects/{project}/locations/{location}/pipelineJobs/{ident}"
        if name in self.jobs:
            return 409, {"error": {"code": 409, "message": f"{name} already exists",
                                   "status": "ALREADY_EXISTS"}}
        job = {**body, "name": name, "state": "PIPELINE_STATE_PENDING", "createTime": _now()}
        self.jobs[name] = job
        if self.executor is not None:
            threading.Thread(target=self._execute, args=(job,), daemon=True).start()
        return 200, job

    def _execute(self, job: dict[str, Any]) -> None:
        job["state"] = "PIPELINE_STATE_RUNNING"
        ok, message = self.executor(
            job["pipelineSpec"], (job.get("runtimeConfig") or {}).get("parameterValues") or {},
            {"{{$.pipeline_job_resource_name}}": job["name"],
             "{{$.pipeline_job_schedule_time_utc}}": job["createTime"]})
        with self.lock:
            job["state"] = "PIPELINE_STATE_SUCCEEDED" if ok else "PIPELINE_STATE_FAILED"
            if not ok:
                job["error"] = {"code": 2, "message": message}

    def _get_job(self, body: Any, query: Any, project: str, location: str,
                 ident: str) -> tuple[int, Any]:
        name = f"projects/{project}/locations/{location}/pipelineJobs/{ident}"
        return (200, self.jobs[name]) if name in self.jobs else self._missing(name)

    def _cancel_job(self, body: Any, query: Any, project: str, location: str,
                    ident: str) -> tuple[int, Any]:
        name = f"projects/{project}/locations/{location}/pipelineJobs/{ident}"
        if name not in self.jobs:
            return self._missing(name)
        self.jobs[name]["state"] = "PIPELINE_STATE_CANCELLING"
        return 200, {}

    # -- schedules ------------------------------------------------------------------------
    def _schedule_problem(self, body: Any, parent: str) -> str | None:
        problem = self._parse(types.Schedule, body)
        if problem:
            return problem
        if not body.get("displayName"):
            return "displayName is required"
        problem = cron_error(body.get("cron", ""))
        if problem:
            return problem
        if int(body.get("maxConcurrentRunCount") or 0) < 1:
            return "maxConcurrentRunCount must be positive"
        start, end = body.get("startTime"), body.get("endTime")
        if start and end and datetime.fromisoformat(start.replace("Z", "+00:00")) >= \
                datetime.fromisoformat(end.replace("Z", "+00:00")):
            return "endTime must be after startTime"
        request = body.get("createPipelineJobRequest") or {}
        if request.get("parent") != parent:
            return f"createPipelineJobRequest.parent must be {parent}"
        return self._job_problem(request.get("pipelineJob") or {})

    def _create_schedule(self, body: Any, query: Any, project: str, location: str,
                         ) -> tuple[int, Any]:
        parent = f"projects/{project}/locations/{location}"
        problem = self._schedule_problem(body, parent)
        if problem:
            return self._bad(problem)
        name = f"{parent}/schedules/{uuid.uuid4().hex[:12]}"
        sched = {**body, "name": name, "state": "ACTIVE", "createTime": _now(),
                 "startedRunCount": "0"}
        self.schedules[name] = sched
        return 200, sched

    def _get_schedule(self, body: Any, query: Any, project: str, location: str,
                      ident: str) -> tuple[int, Any]:
        name = f"projects/{project}/locations/{location}/schedules/{ident}"
        return (200, self.schedules[name]) if name in self.schedules else self._missing(name)

    def _update_schedule(self, body: Any, query: Any, project: str, location: str,
                         ident: str) -> tuple[int, Any]:
        name = f"projects/{project}/locations/{location}/schedules/{ident}"
        if name not in self.schedules:
            return self._missing(name)
        mask = (query.get("updateMask") or [""])[0].split(",")
        problem = self._parse(types.Schedule, body)
        if problem or mask == [""]:
            return self._bad(problem or "updateMask is required")
        merged = dict(self.schedules[name])
        for field in mask:
            if field in body:
                merged[field] = body[field]
            else:
                merged.pop(field, None)
        problem = self._schedule_problem({k: v for k, v in merged.items() if k not in (
            "name", "state", "createTime", "startedRunCount", "updateTime")}, name.rsplit(
                "/schedules/", 1)[0])
        if problem:
            return self._bad(problem)
        merged["updateTime"] = _now()
        self.schedules[name] = merged
        return 200, merged

    def _delete_schedule(self, body: Any, query: Any, project: str, location: str,
                         ident: str) -> tuple[int, Any]:
        name = f"projects/{project}/locations/{location}/schedules/{ident}"
        if self.schedules.pop(name, None) is None:
            return self._missing(name)
        return 200, {"name": f"projects/{project}/locations/{location}/operations/"
                             f"{uuid.uuid4().hex[:8]}", "done": True,
                     "response": {"@type": "type.googleapis.com/google.protobuf.Empty"}}

    def _pause(self, body: Any, query: Any, project: str, location: str,
               ident: str) -> tuple[int, Any]:
        name = f"projects/{project}/locations/{location}/schedules/{ident}"
        if name not in self.schedules:
            return self._missing(name)
        if self.schedules[name]["state"] != "ACTIVE":
            return 400, {"error": {"code": 400, "message": "schedule is not active",
                                   "status": "FAILED_PRECONDITION"}}
        self.schedules[name]["state"] = "PAUSED"
        return 200, {}

    def _resume(self, body: Any, query: Any, project: str, location: str,
                ident: str) -> tuple[int, Any]:
        name = f"projects/{project}/locations/{location}/schedules/{ident}"
        problem = self._parse(types.ResumeScheduleRequest, {**(body or {}), "name": name})
        if problem:
            return self._bad(problem)
        if name not in self.schedules:
            return self._missing(name)
        if self.schedules[name]["state"] != "PAUSED":
            return 400, {"error": {"code": 400, "message": "schedule is not paused",
                                   "status": "FAILED_PRECONDITION"}}
        self.schedules[name]["state"] = "ACTIVE"
        self.resumes.append((name, bool((body or {}).get("catchUp"))))
        return 200, {}

    # -- what the service's scheduler would do ----------------------------------------------
    def fire(self, schedule_name: str, scheduled_at: datetime) -> dict[str, Any]:
        """Make the pipeline job the schedule would make for a tick (for tracking tests)."""
        sched = self.schedules[schedule_name]
        parent = schedule_name.rsplit("/schedules/", 1)[0]
        name = f"{parent}/pipelineJobs/{uuid.uuid4().hex[:12]}"
        job = {**sched["createPipelineJobRequest"]["pipelineJob"], "name": name,
               "state": "PIPELINE_STATE_RUNNING", "createTime": _now(),
               "scheduleName": schedule_name,
               "scheduleTime": scheduled_at.isoformat().replace("+00:00", "Z")}
        with self.lock:
            self.jobs[name] = job
        return job


class _Handler(JsonHandler):
    double: VertexDouble

    def _handle(self, verb: str) -> None:
        try:
            code, payload = self.double.handle(verb, self.path, self._body())
        except Exception as err:  # a double's bug or an unsupported request: say so
            self.double.violations.append(f"{verb} {self.path}: {err!r}")
            code, payload = 500, {"error": repr(err), "code": 13, "message": repr(err)}
        self._answer(code, payload)


@contextmanager
def serve_vertex() -> Iterator[VertexDouble]:
    """A running double on 127.0.0.1 (a free port); ``double.url`` is its base URL."""
    double = VertexDouble()
    with serve(type("Handler", (_Handler,), {"double": double})) as url:
        double.url = url
        yield double
