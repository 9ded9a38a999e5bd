"""A loopback test double of the Kubeflow Pipelines API server (REST, ``/apis/v2beta1``).

It checks every request's path, method and JSON body against the published REST shapes —
the models of ``kfp-server-api``, which are generated from KFP's own swagger — plus the
rules the real server enforces on create (a six-field cron that robfig/cron parses, one
trigger kind, ``max_concurrency`` 1-10), and answers as the server does. Every mismatch is
kept in ``violations`` (and answered 400), so a test asserts that list is empty.

What it cannot show: that a real KFP deployment accepts the spec (its driver, Argo and the
pods), that the scheduled-workflow controller fires at the instants our mapping claims (that
rests on reading its source, cited in ``kubeflow/mapping.py``), or authentication.
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

import kfp_server_api.models as models
from remote_doubles import JsonHandler, serve

PREFIX = "/apis/v2beta1"

# robfig/cron (v1), as KFP's API server and controller parse a cron: six fields, seconds
# first; names in month and day-of-week; day-of-week 0-6.
_INT64 = {"max_concurrency", "interval_second", "long_value"}
_BOUNDS = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]
_NAMES = {4: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
              "DEC"], 5: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]}


def robfig_cron_error(cron: str) -> str | None:
    """Why robfig/cron's ``Parse`` would refuse ``cron`` as KFP passes it, or None."""
    fields = cron.split()
    if len(fields) != 6:
        return f"cron {cron!r} has {len(fields)} fields; KFP takes 6 (seconds first)"
    for index, part in enumerate(fields):
        low, high = _BOUNDS[index]
        for term in part.split(","):
            body, _, step = term.partition("/")
            if step and not step.isdigit():
                return f"bad step in {term!r}"
            if body in ("*", "?"):
                continue
            ends = body.split("-")
            if len(ends) > 2:
                return f"bad range {term!r}"
            for end in ends:
                names = _NAMES.get(index, [])
                if end.upper() in names:
                    value = names.index(end.upper()) + (1 if index == 4 else 0)
                elif end.isdigit():
                    value = int(end)
                else:
                    return f"bad value {end!r} in field {index + 1}"
                if not low <= value <= high:
                    return f"{value} out of range {low}-{high} in field {index + 1}"
    return None


def shape_errors(value: Any, type_name: str, where: str = "body") -> list[str]:
    """Mismatches between JSON ``value`` and the kfp-server-api model ``type_name``."""
    if value is None:
        return []
    if type_name.startswith("list["):
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        inner = type_name[5:-1]
        return [e for i, v in enumerate(value) for e in shape_errors(v, inner, f"{where}[{i}]")]
    if type_name.startswith("dict("):
        inner = type_name[5:-1].split(", ", 1)[1]
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        return [e for k, v in value.items() for e in shape_errors(v, inner, f"{where}.{k}")]
    if type_name == "str":
        # int64 fields are strings in the swagger; the gateway (protojson) takes numbers too.
        int64 = where.rsplit(".", 1)[-1] in _INT64 and isinstance(value, int)
        return [] if isinstance(value, str) or int64 else [f"{where}: expected a string"]
    if type_name == "bool":
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean"]
    if type_name == "int":
        return [] if isinstance(value, int) and not isinstance(value, bool) else [
            f"{where}: expected an integer"]
    if type_name == "datetime":
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return [f"{where}: {value!r} is not an RFC 3339 time"]
        return []
    if type_name == "object":
        return []
    model = getattr(models, type_name)
    allowed = getattr(model, "allowable_values", None)
    if allowed is not None:
        return [] if value in allowed else [f"{where}: {value!r} not one of {allowed}"]
    if not isinstance(value, dict):
        return [f"{where}: expected a {type_name} object"]
    by_json = {j: a for a, j in model.attribute_map.items()}
    errors = []
    for key, item in value.items():
        if key not in by_json:
            errors.append(f"{where}.{key}: not a field of {type_name}")
        else:
            errors += shape_errors(item, model.openapi_types[by_json[key]], f"{where}.{key}")
    return errors


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class KfpDouble:
    """The server's state: experiments, runs and recurring runs, and every request seen."""

    def __init__(self) -> None:
        self.experiments: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.recurring: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.violations: list[str] = []
        self.fail_next: int | None = None  # answer the next mutating request with this code
        self.fail_on: tuple[str, str, int] | None = None  # (method, path, code): that one
        #: Runs a created run's steps, as KFP's driver would: (spec, parameters, placeholder
        #: values) → (succeeded, error message). None: runs stay PENDING until a test moves
        #: them.
        self.executor: Any = None
        self.lock = threading.Lock()
        self.url = ""

    # -- routing ------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, body: Any) -> tuple[int, Any]:
        parsed = urlparse(raw_path)
        path, query = parsed.path, parse_qs(parsed.query)
        with self.lock:
            self.requests.append((method, path, body))
            if self.fail_on is not None and (method, path) == self.fail_on[:2]:
                code, self.fail_on = self.fail_on[2], None
                return code, {"error": "injected failure", "code": 13,
                              "message": "injected failure"}
            if self.fail_next is not None and method != "GET":
                code, self.fail_next = self.fail_next, None
                return code, {"error": "injected failure", "code": 13,
                              "message": "injected failure"}
            for pattern, verb, handler, model in self._routes():
                found = re.fullmatch(PREFIX + pattern, path)
                if found and verb == method:
                    if model is not None:
                        errors = shape_errors(body, model)
                        if errors:
                            return self._bad(f"{method} {path}: " + "; ".join(errors))
                    result: tuple[int, Any] = handler(body, query, *found.groups())
                    return result
        return self._bad(f"no route {method} {path}", code=404)

    def _routes(self) -> list[tuple[str, str, Any, str | None]]:
        return [
            ("/healthz", "GET", lambda b, q: (200, {"multi_user": False}), None),
            ("/experiments", "POST", self._create_experiment, "V2beta1Experiment"),
            ("/experiments", "GET", self._list_experiments, None),
            ("/experiments/([^/:]+)", "GET", self._get_experiment, None),
            ("/runs", "POST", self._create_run, "V2beta1Run"),
            ("/runs", "GET", self._list_runs, None),
            ("/runs/([^/:]+)", "GET", self._get_run, None),
            ("/runs/([^/:]+):terminate", "POST", self._terminate_run, None),
            ("/recurringruns", "POST", self._create_recurring, "V2beta1RecurringRun"),
            ("/recurringruns", "GET", self._list_recurring, None),
            ("/recurringruns/([^/:]+)", "GET", self._get_recurring, None),
            ("/recurringruns/([^/:]+)", "DELETE", self._delete_recurring, None),
            ("/recurringruns/([^/:]+):enable", "POST", self._set_mode("ENABLE"), None),
            ("/recurringruns/([^/:]+):disable", "POST", self._set_mode("DISABLE"), None),
        ]

    def _bad(self, message: str, code: int = 400) -> tuple[int, Any]:
        self.violations.append(message)
        return code, {"error": message, "code": 3 if code == 400 else 5, "message": message}

    @staticmethod
    def _not_found(kind: str, ident: str) -> tuple[int, Any]:
        message = f"{kind} {ident} not found"
        return 404, {"error": message, "code": 5, "message": message}

    # -- experiments --------------------------------------------------------------------
    def _create_experiment(self, body: Any, query: Any) -> tuple[int, Any]:
        if not body.get("display_name"):
            return self._bad("experiment without display_name")
        ident = str(uuid.uuid4())
        exp = {**body, "experiment_id": ident, "created_at": _now(),
               "storage_state": "AVAILABLE"}
        self.experiments[ident] = exp
        return 200, exp

    def _list_experiments(self, body: Any, query: Any) -> tuple[int, Any]:
        found = _filtered(list(self.experiments.values()), query)
        return 200, {"experiments": found, "total_size": len(found)} if found else {}

    def _get_experiment(self, body: Any, query: Any, ident: str) -> tuple[int, Any]:
        exp = self.experiments.get(ident)
        return (200, exp) if exp else self._not_found("experiment", ident)

    # -- runs ---------------------------------------------------------------------------
    def _check_spec(self, body: Any) -> str | None:
        spec = body.get("pipeline_spec")
        if not isinstance(spec, dict) or "pipelineInfo" not in spec or "root" not in spec:
            return "pipeline_spec is not a compiled KFP v2 pipeline spec"
        if body.get("experiment_id") not in self.experiments:
            return f"experiment {body.get('experiment_id')!r} does not exist"
        return None

    def _create_run(self, body: Any, query: Any) -> tuple[int, Any]:
        problem = self._check_spec(body)
        if problem:
            return self._bad(problem)
        ident = str(uuid.uuid4())
        run = {**body, "run_id": ident, "created_at": _now(), "scheduled_at": _now(),
               "state": "PENDING", "storage_state": "AVAILABLE"}
        self.runs[ident] = run
        if self.executor is not None:
            threading.Thread(target=self._execute, args=(run,), daemon=True).start()
        return 200, run

    def _execute(self, run: dict[str, Any]) -> None:
        run["state"] = "RUNNING"
        ok, message = self.executor(
            run["pipeline_spec"], (run.get("runtime_config") or {}).get("parameters") or {},
            {"{{$.pipeline_job_uuid}}": run["run_id"],
             "{{$.pipeline_job_schedule_time_utc}}": run["scheduled_at"]})
        with self.lock:
            run["state"] = "SUCCEEDED" if ok else "FAILED"
            run["finished_at"] = _now()
            if not ok:
                run["error"] = {"code": 2, "message": message}

    def _list_runs(self, body: Any, query: Any) -> tuple[int, Any]:
        found = _filtered(list(self.runs.values()), query)
        return 200, {"runs": found, "total_size": len(found)} if found else {}

    def _get_run(self, body: Any, query: Any, ident: str) -> tuple[int, Any]:
        run = self.runs.get(ident)
        return (200, run) if run else self._not_found("run", ident)

    def _terminate_run(self, body: Any, query: Any, ident: str) -> tuple[int, Any]:
        run = self.runs.get(ident)
        if run is None:
            return self._not_found("run", ident)
        run["state"] = "CANCELING"
        return 200, {}

    # -- recurring runs -----------------------------------------------------------------
    def _create_recurring(self, body: Any, query: Any) -> tuple[int, Any]:
        problem = self._check_spec(body)
        trigger = body.get("trigger") or {}
        if problem is None and len(trigger) != 1:
            problem = "a recurring run needs exactly one of cron_schedule, periodic_schedule"
        if problem is None and "cron_schedule" in trigger:
            problem = robfig_cron_error(trigger["cron_schedule"].get("cron", ""))
        if problem is None and "periodic_schedule" in trigger:
            seconds = int(trigger["periodic_schedule"].get("interval_second", "0"))
            problem = None if seconds > 0 else "interval_second must be positive"
        concurrency = int(body.get("max_concurrency") or "1")
        if problem is None and not 1 <= concurrency <= 10:
            problem = (f"The max concurrency of the recurring run is out of range. Support "
                       f"1-10. Received: {concurrency}")
        if problem:
            return self._bad(problem)
        ident = str(uuid.uuid4())
        mode = body.get("mode") or "ENABLE"
        rec = {**body, "recurring_run_id": ident, "created_at": _now(), "updated_at": _now(),
               "mode": mode, "status": "ENABLED" if mode == "ENABLE" else "DISABLED"}
        self.recurring[ident] = rec
        return 200, rec

    def _list_recurring(self, body: Any, query: Any) -> tuple[int, Any]:
        found = _filtered(list(self.recurring.values()), query)
        return 200, {"recurringRuns": found, "total_size": len(found)} if found else {}

    def _get_recurring(self, body: Any, query: Any, ident: str) -> tuple[int, Any]:
        rec = self.recurring.get(ident)
        return (200, rec) if rec else self._not_found("recurring run", ident)

    def _delete_recurring(self, body: Any, query: Any, ident: str) -> tuple[int, Any]:
        if self.recurring.pop(ident, None) is None:
            return self._not_found("recurring run", ident)
        return 200, {}

    def _set_mode(self, mode: str) -> Any:
        def handler(body: Any, query: Any, ident: str) -> tuple[int, Any]:
            rec = self.recurring.get(ident)
            if rec is None:
                return self._not_found("recurring run", ident)
            rec["mode"] = mode
            rec["status"] = "ENABLED" if mode == "ENABLE" else "DISABLED"
            return 200, {}
        return handler

    # -- what a platform scheduler would do ------------------------------------------------
    def fire(self, recurring_id: str, scheduled_at: datetime) -> dict[str, Any]:
        """Make the run the controller would make for a tick (for tracking tests)."""
        rec = self.recurring[recurring_id]
        ident = str(uuid.uuid4())
        run = {"run_id": ident, "display_name": f"{rec['display_name']}-tick",
               "experiment_id": rec["experiment_id"], "recurring_run_id": recurring_id,
               "pipeline_spec": rec["pipeline_spec"], "runtime_config": rec.get(
                   "runtime_config", {}), "created_at": _now(), "state": "RUNNING",
               "scheduled_at": scheduled_at.isoformat().replace("+00:00", "Z")}
        with self.lock:
            self.runs[ident] = run
        return run


def _filtered(items: list[dict[str, Any]], query: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Apply the ``filter`` (a JSON-encoded V2beta1Filter) and ``experiment_id`` of a list."""
    if "experiment_id" in query:
        items = [i for i in items if i.get("experiment_id") == query["experiment_id"][0]]
    if "filter" in query:
        spec = json.loads(query["filter"][0])
        for pred in spec.get("predicates", []):
            key, op = pred["key"], pred["operation"]
            want = pred.get("string_value", pred.get("stringValue"))
            key = {"name": "display_name"}.get(key, key)
            if op not in ("EQUALS", 1):  # the proto enum, by name or number
                raise ValueError(f"the double supports EQUALS only, got {op}")
            items = [i for i in items if i.get(key) == want]
    return items


class _Handler(JsonHandler):
    double: KfpDouble

    def _handle(self, verb: str) -> None:
        try:
            code, payload = self.double.handle(verb, self.path, self._body())
        except Exception as err:  # a double's bug or an unsupported request: say so
            self.double.violations.append(f"{verb} {self.path}: {err!r}")
            code, payload = 500, {"error": repr(err), "code": 13, "message": repr(err)}
        self._answer(code, payload)


@contextmanager
def serve_kfp() -> Iterator[KfpDouble]:
    """A running double on 127.0.0.1 (a free port); ``double.url`` is its base URL."""
    double = KfpDouble()
    with serve(type("Handler", (_Handler,), {"double": double})) as url:
        double.url = url
        yield double
