"""Runs a traced pipeline in-process, step by step, recording everything in the store.

Statuses: a step is ``running`` then ``completed``, ``failed`` or ``cached``; a step whose
upstream did not complete is ``skipped``. A run is ``failed`` as soon as one step fails, but
independent branches still run, so no work that could be done is lost.
"""

from __future__ import annotations

import io
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sundial.definition.graph import PipelineGraph, StepInvocation, Upstream, json_safe
from sundial.definition.hooks import HookContext, call_hook
from sundial.engine.artifacts import ArtifactStore, load_artifact
from sundial.engine.cache import cache_key
from sundial.engine.logs import capture_logs
from sundial.errors import RunFailedError
from sundial.frozen import Mutable
from sundial.store.records import (
    CACHED,
    CANCELLED,
    CANCELLING,
    COMPLETED,
    FAILED,
    RUNNING,
    ArtifactRecord,
)
from sundial.store.store import Store, utcnow

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline

HEARTBEAT_SECONDS = 5.0


class RunCancelled(BaseException):
    """Raised inside a worker asked to stop (overlap ``replace``); the run ends cancelled."""


class StepOutputError(Exception):
    """A step returned something that does not match its declared outputs."""


class Produced(Mutable):
    """What one finished invocation made available downstream: per output, its artifact id
    and content hash, and its value in memory or the stored record to load it from."""

    artifact_ids: dict[str, int]
    hashes: dict[str, str]
    values: dict[str, Any]
    loaded: dict[str, ArtifactRecord]

    def __init__(self, artifact_ids: dict[str, int] | None = None,
                 hashes: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                 loaded: dict[str, ArtifactRecord] | None = None) -> None:
        self.artifact_ids = {} if artifact_ids is None else artifact_ids
        self.hashes = {} if hashes is None else hashes
        self.values = {} if values is None else values
        self.loaded = {} if loaded is None else loaded

    @classmethod
    def from_records(cls, outputs: dict[str, ArtifactRecord]) -> Produced:
        """Outputs stored earlier (a cache hit, or an upstream step of another process)."""
        return cls(artifact_ids={n: a.id for n, a in outputs.items()},
                   hashes={n: a.content_hash for n, a in outputs.items()},
                   loaded=dict(outputs))

    def value(self, name: str) -> Any:
        if name not in self.values:
            self.values[name] = load_artifact(self.loaded[name])
        return self.values[name]


def record_version(store: Store, pipeline: Pipeline,
                   params: dict[str, Any]) -> tuple[PipelineGraph, int, int]:
    """Trace the pipeline for these parameters and store that version of it (if new);
    returns the graph and the ids of the pipeline and the version."""
    graph = pipeline.trace(params)
    pipeline_id, version_id = store.pipeline_version(
        pipeline.name, graph.version_hash(), graph.spec(), pipeline.source)
    return graph, pipeline_id, version_id


def json_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as stored: JSON values as they are, anything else as its repr."""
    return {k: json_safe(v) for k, v in params.items()}


def execute_run(store: Store, artifacts: ArtifactStore, run_id: str, graph: PipelineGraph, *,
                enable_cache: bool | None = None,
                on_cancel: Callable[[], None] | None = None,
                pipeline: Pipeline | None = None) -> str:
    """Execute every invocation of ``graph`` into the existing run ``run_id``; return its
    final status. The run must already exist. ``on_cancel`` is called (from the heartbeat
    thread) when the store says the run should stop; ``pipeline``'s hooks when it ends."""
    with store.pinned():  # one connection for the run's many small transactions
        # Committed with the first step's start: one transaction fewer per run.
        store.defer_run_update(run_id, status=RUNNING, started_at=utcnow(),
                               heartbeat_at=utcnow())
        status = _execute(store, artifacts, run_id, graph, enable_cache, on_cancel)
    if pipeline is not None:
        _pipeline_hook(store, pipeline, run_id, status)
    return status


def _execute(store: Store, artifacts: ArtifactStore, run_id: str, graph: PipelineGraph,
             enable_cache: bool | None, on_cancel: Callable[[], None] | None) -> str:
    beat = Heartbeat(store, run_id, on_cancel=on_cancel)
    beat.start()
    produced: dict[str, Produced] = {}
    not_done: dict[str, str] = {}  # invocation id -> why it produced nothing
    try:
        for position, inv in enumerate(graph.invocations.values()):
            blocked = [u for u in inv.upstream_ids if u in not_done]
            if blocked:
                store.record_skipped(run_id=run_id, name=inv.id, step=inv.step.name,
                                     position=position,
                                     reason=f"upstream step '{blocked[0]}' did not complete")
                not_done[inv.id] = "skipped"
                continue
            result = run_invocation(store, artifacts, run_id, inv, position, produced,
                                    enable_cache, defer_end=True)
            if result is None:
                not_done[inv.id] = "failed"
            else:
                produced[inv.id] = result
    except BaseException as err:  # interrupted or cancelled: the end is recorded, then re-raised
        beat.stop()
        cancelled = isinstance(err, RunCancelled)
        store.update_run(run_id, status=CANCELLED if cancelled else FAILED, ended_at=utcnow(),
                         error="cancelled" if cancelled else f"interrupted: {type(err).__name__}")
        raise
    finally:
        beat.stop()
    status = FAILED if "failed" in not_done.values() else COMPLETED
    # The last step's end (deferred) commits with this.
    store.update_run(run_id, status=status, ended_at=utcnow(),
                     error=None if status == COMPLETED else "a step failed")
    return status


def _pipeline_hook(store: Store, pipeline: Pipeline, run_id: str, status: str) -> None:
    """The pipeline's on_success or on_failure, once the run's end is recorded; a failure hook
    gets a RunFailedError naming the first failed step and its error."""
    hook = pipeline.options.on_success if status == COMPLETED else pipeline.options.on_failure
    if hook is None:
        return
    record = store.get_run(run_id)
    context = HookContext(run_id=run_id, pipeline=pipeline.name, step=None, status=status,
                          params=dict(record.params))
    error = None
    if status == FAILED:
        failed = next((s for s in record.steps.values() if s.status == FAILED), None)
        where = f" at step '{failed.name}': {failed.error}" if failed else ""
        error = RunFailedError(f"run {run_id} of pipeline '{pipeline.name}' failed{where}",
                               f"see `sundial runs logs {run_id}`", run_id=run_id)
    which = "on_success" if status == COMPLETED else "on_failure"
    call_hook(hook, which, context, error)


def run_invocation(store: Store, artifacts: ArtifactStore, run_id: str, inv: StepInvocation,
                   position: int, produced: dict[str, Produced],
                   pipeline_cache: bool | None, *, defer_end: bool = False) -> Produced | None:
    """Run (or reuse) one step; None when it failed. With ``defer_end`` its end is committed
    with the caller's next write (the next step's start, the run's end)."""
    kwargs: dict[str, Any] = {}
    params: dict[str, Any] = {}
    input_hashes: dict[str, str] = {}
    for name, src in inv.inputs.items():
        if isinstance(src, Upstream):
            up = produced[src.invocation]
            kwargs[name] = _LazyInput(up, src.output)
            input_hashes[name] = up.hashes[src.output]
        else:
            kwargs[name] = params[name] = src.value
    key = cache_key(inv.step, params, input_hashes)
    # Off wins: a pipeline or a step that says enable_cache=False is never served from cache.
    use_cache = pipeline_cache is not False and inv.step.options.enable_cache is not False
    if use_cache:
        hit = store.find_cached(key)
        if hit is not None and set(hit) == set(inv.step.output_names) and all(
                artifacts.exists(a) for a in hit.values()):
            sr = store.start_step_run(run_id=run_id, name=inv.id, step=inv.step.name,
                                      position=position, status=CACHED, cache_key=key)
            store.finish_step_run(sr, status=CACHED, outputs={n: a.id for n, a in hit.items()},
                                  inputs=_input_ids(inv, produced), duration=0.0,
                                  defer=defer_end)
            return Produced.from_records(hit)
    sr = store.start_step_run(run_id=run_id, name=inv.id, step=inv.step.name,
                              position=position, status=RUNNING, cache_key=key)
    # After the start: it committed the upstream steps' ends, and with them their ids.
    input_ids = _input_ids(inv, produced)
    opts = inv.step.options
    started = time.perf_counter()
    attempts = 0
    with capture_logs() as logs, _record_interruption(store, sr, logs, started):
        while True:
            attempts += 1
            try:
                # Inputs load inside the attempt: a missing or altered artifact fails the
                # step with its reason recorded, like any other error.
                values = {k: v.get() if isinstance(v, _LazyInput) else v
                          for k, v in kwargs.items()}
                outputs = _split_outputs(inv, inv.step.func(**values))
                written = {name: artifacts.write(value, run_id=run_id, step=inv.id, output=name)
                           for name, value in outputs.items()}
                break
            except Exception as err:
                tb = traceback.format_exc()
                if attempts <= opts.retries:
                    print(f"[sundial] step '{inv.id}' attempt {attempts} failed: {err!r}; "
                          f"retrying in {opts.retry_delay:g}s")
                    time.sleep(opts.retry_delay)
                    continue
                if opts.on_failure is not None:  # its output lands in the step's log
                    call_hook(opts.on_failure, "on_failure",
                              _context(store, run_id, inv, FAILED), err)
                store.finish_step_run(sr, status=FAILED, inputs=input_ids,
                                      error=f"{type(err).__name__}: {err}", traceback=tb,
                                      logs=logs.getvalue(), attempts=attempts,
                                      duration=time.perf_counter() - started,
                                      defer=defer_end)
                return None
        if opts.on_success is not None:
            call_hook(opts.on_success, "on_success", _context(store, run_id, inv, COMPLETED))
    ids = store.finish_step_run(
        sr, status=COMPLETED, inputs=input_ids,
        new_artifacts=[w.row(name) for name, w in written.items()],
        logs=logs.getvalue(), attempts=attempts, duration=time.perf_counter() - started,
        defer=defer_end)
    # With a deferred end, ``ids`` is filled in when that end commits: before any step
    # that reads it starts.
    return Produced(artifact_ids=ids,
                    hashes={n: w.content_hash for n, w in written.items()}, values=outputs)


def _input_ids(inv: StepInvocation, produced: dict[str, Produced]) -> dict[str, int]:
    return {name: produced[src.invocation].artifact_ids[src.output]
            for name, src in inv.inputs.items() if isinstance(src, Upstream)}


def _context(store: Store, run_id: str, inv: StepInvocation, status: str) -> HookContext:
    # Read only when a step has a hook: the run's pipeline is not on the invocation.
    pipeline = store.get_run(run_id).pipeline
    return HookContext(run_id=run_id, pipeline=pipeline, step=inv.id, status=status,
                       params={k: v.value for k, v in inv.inputs.items()
                               if not isinstance(v, Upstream)})


@contextmanager
def _record_interruption(store: Store, step_run_id: int, logs: io.StringIO,
                         started: float) -> Iterator[None]:
    """A step cut short by a signal or cancellation still gets its end and logs recorded."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit, RunCancelled) as err:
        status = CANCELLED if isinstance(err, RunCancelled) else FAILED
        store.finish_step_run(step_run_id, status=status, error=f"interrupted: "
                              f"{type(err).__name__}", logs=logs.getvalue(),
                              duration=time.perf_counter() - started)
        raise


class _LazyInput(Mutable):
    """An upstream value, loaded from the artifact store only if it is not in memory."""

    produced: Produced
    output: str

    def __init__(self, produced: Produced, output: str) -> None:
        self.produced, self.output = produced, output

    def get(self) -> Any:
        return self.produced.value(self.output)


def _split_outputs(inv: StepInvocation, result: Any) -> dict[str, Any]:
    names = inv.step.output_names
    if not names:
        return {}
    if len(names) == 1:
        return {names[0]: result}
    if not isinstance(result, tuple) or len(result) != len(names):
        raise StepOutputError(
            f"step '{inv.id}' declares outputs {list(names)} but returned "
            f"{type(result).__name__}; return a tuple of {len(names)} values")
    return dict(zip(names, result, strict=True))


class Heartbeat:
    """Marks the run alive every few seconds, so a scheduler can tell a dead worker."""

    def __init__(self, store: Store, run_id: str, every: float | None = None,
                 on_cancel: Callable[[], None] | None = None) -> None:
        self._store, self._run_id = store, run_id
        self._every = every if every is not None else float(
            os.environ.get("SUNDIAL_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS))
        self._on_cancel = on_cancel
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sundial-heartbeat",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                status = self._store.heartbeat(self._run_id)
            except Exception:  # a passing database error must not kill the run
                continue
            if status == CANCELLING and self._on_cancel is not None:
                self._on_cancel()
                return
