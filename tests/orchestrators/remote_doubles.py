"""What the loopback test doubles of remote backends share: a server on 127.0.0.1 and small
pipelines written to files (remote steps load their pipeline from its source). Named apart
from tests/receivers.py (the alert receivers): test folders share one module namespace, so
two files of one name break a full run."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TRAINING = '''
from sundial import pipeline, step

@step
def load() -> int:
    return 2

@step
def train(x: int, lr: float = 0.1) -> float:
    return x * lr

@pipeline
def training(lr: float = 0.1):
    train(load(), lr=lr)
'''


#: ``load`` → ``double`` → ``report``, whose ``double`` fails on demand (``fail=True``).
FAILABLE = '''
from sundial import pipeline, step

@step(enable_cache=False)
def load(n: int = 3) -> int:
    return n

@step(enable_cache=False)
def double(x: int, fail: bool = False) -> int:
    if fail:
        raise RuntimeError("double failed on purpose")
    return 2 * x

@step(enable_cache=False)
def report(y: int) -> int:
    return y + 1

@pipeline(enable_cache=False)
def flow(n: int = 3, fail: bool = False):
    report(double(load(n=n), fail=fail))
'''


def training_pipeline(folder: Path, module: str) -> Any:
    """The pipeline ``training`` (steps ``load`` → ``train``) from ``folder/module.py``."""
    from sundial.engine.loader import load_pipeline

    path = folder / f"{module}.py"
    path.write_text(TRAINING)
    return load_pipeline(f"{path}:training")


def recorded_run(pipeline: Any, params: dict[str, Any], **fields: Any) -> Any:
    """A run of ``pipeline`` recorded in the store (queued), as ``sundial.dispatch`` records
    it before calling a backend's ``submit``; returns its ``RunRequest``."""
    import uuid

    from sundial.engine.runner import json_params, record_version
    from sundial.orchestrators.base import RunRequest
    from sundial.store.store import Store

    store = Store.from_settings()
    _graph, pipeline_id, version_id = record_version(store, pipeline, params)
    run_id = str(uuid.uuid4())
    store.create_run(run_id=run_id, pipeline_id=pipeline_id, version_id=version_id,
                     params=json_params(params), status="queued")
    return RunRequest(run_id=run_id, pipeline=pipeline.name, version_id=version_id,
                      params=json_params(params), **fields)


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet handler that sends every verb to ``_handle(verb)`` and answers JSON."""

    def log_message(self, *args: Any) -> None:
        pass

    def _handle(self, verb: str) -> None:
        raise NotImplementedError

    def _answer(self, code: int, body: dict[str, Any] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


def next_tick_run(store: Any) -> str:
    """Let sundial's scheduler (on a simulated clock moved an hour on) make the run of the
    next tick of the one registered schedule; returns its id, not yet started."""
    from datetime import UTC, datetime, timedelta

    from sundial.scheduler.clock import SimulatedClock
    from sundial.scheduler.service import SchedulerService

    started: list[str] = []

    class Collect:
        def start(self, run_id: str) -> None:
            started.append(run_id)

    clock = SimulatedClock(datetime.now(UTC))
    service = SchedulerService(store, clock=clock, executor=Collect(),
                               heartbeat_timeout=timedelta(days=365))
    clock.advance(3600)
    service.step()
    (run_id,) = started
    return run_id


def when(ready: Callable[[], bool], then: Callable[[], None]) -> threading.Thread:
    """In the background, as a platform would: once ``ready()`` (within 20 s), ``then()``."""
    import time

    def watch() -> None:
        for _ in range(400):
            if ready():
                then()
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def run_failable(folder: Path, orchestrator: str, options: dict[str, Any], fail: bool
                 ) -> tuple[Any, Any]:
    """Run :data:`FAILABLE` now on ``orchestrator`` (through ``sundial.dispatch``), follow
    its ``run_status`` until it ends (30 s at most) and check the store says what a run of it
    should: every step completed, or ``double`` failed with its error and ``report``
    skipped. Returns the backend's last state and the run's record."""
    import time

    from sundial.dispatch import run_now
    from sundial.engine.loader import load_pipeline
    from sundial.orchestrators.registry import get_orchestrator
    from sundial.store.store import Store

    (folder / f"failable_{orchestrator}.py").write_text(FAILABLE)
    flow = load_pipeline(f"{folder / f'failable_{orchestrator}.py'}:flow")
    store = Store.from_settings()
    run = run_now(flow, {"n": 4, "fail": fail}, orchestrator=orchestrator, options=options,
                  store=store)
    backend = get_orchestrator(orchestrator, store, options)
    ref = store.get_run(run.id).external_id
    assert ref, "submit's reference was not kept with the run"
    for _ in range(600):
        state = backend.run_status(ref)
        if state.finished:
            break
        time.sleep(0.05)
    record = store.get_run(run.id)
    if fail:
        assert (state.status, record.status) == ("failed", "failed"), state
        assert state.reason
        assert "double failed on purpose" in str(record.steps["double"].error)
        assert record.steps["report"].status == "skipped"
    else:
        assert (state.status, record.status) == ("completed", "completed"), state
        assert {n: s.status for n, s in record.steps.items()} == {
            "load": "completed", "double": "completed", "report": "completed"}
    return state, record
