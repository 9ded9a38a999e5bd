"""The one road from a pipeline call to a backend: run now, re-run, or register a schedule.

``pipeline(...)`` only binds and checks its parameters and comes here; so do ``sundial run``,
``sundial runs rerun``, ``Client().rerun`` (the API's and the dashboard's re-run) and
``sundial deploy``. This module resolves the orchestrator from the registry (``local``
included, as an ordinary backend), records what is made in the store, and calls the contract
of ``orchestrators/base.py``: ``submit`` for a run now, ``create_schedule`` for a native
schedule. A sundial-mode schedule is only recorded: the scheduler fires its ticks and submits
each run through the same ``submit``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from sundial.errors import (
    OrchestratorError,
    RunFailedError,
    TargetNotFoundError,
    UnsupportedOperationError,
)
from sundial.frozen import Frozen
from sundial.orchestrators.base import RunRequest, fields_left_default
from sundial.orchestrators.registry import get_orchestrator
from sundial.orchestrators.wording import Language
from sundial.store.records import FAILED, QUEUED, RunRecord
from sundial.store.store import Store, utcnow

if TYPE_CHECKING:
    from sundial.client import PipelineRun
    from sundial.definition.pipeline import Pipeline
    from sundial.definition.schedule import Schedule
    from sundial.scheduler.api import ScheduleInfo

__all__ = ["Registered", "Rerun", "ScheduleMode", "follow", "prepare_rerun", "register",
           "register_many", "register_schedule", "rerun", "run_now"]

ScheduleMode = Literal["native", "sundial"]


def run_now(pipeline: Pipeline, params: dict[str, Any], *, orchestrator: str | None = None,
            options: Mapping[str, Any] | None = None, store: Store | None = None,
            trigger: str = "manual") -> PipelineRun:
    """Record a run of ``pipeline`` with ``params`` and submit it to its orchestrator.

    On ``local`` the run has ended when this returns (a failed run raises
    :class:`RunFailedError`); on a remote platform it is queued there, and
    ``PipelineRun.refresh()`` follows it.
    """
    from sundial.client import PipelineRun
    from sundial.engine.runner import json_params, record_version

    name = orchestrator or pipeline.options.orchestrator
    store = store or Store.from_settings()
    backend = get_orchestrator(name, store, options)
    graph, pipeline_id, version_id = record_version(store, pipeline, params)
    run_id = str(uuid.uuid4())
    enable_cache = pipeline.options.enable_cache
    stored_params = json_params(params)
    store.create_run(run_id=run_id, pipeline_id=pipeline_id, version_id=version_id,
                     params=stored_params, status=QUEUED, orchestrator=name,
                     enable_cache=enable_cache, trigger=trigger)
    request = RunRequest(run_id=run_id, pipeline=pipeline.name, version_id=version_id,
                         params=stored_params, enable_cache=enable_cache,
                         loaded=(pipeline, graph))
    try:
        ref = backend.submit(request)
    except BaseException as err:
        # The platform refused the run (or this process was interrupted): the record says so
        # rather than staying queued for ever.
        current = store.get_run(run_id)
        if current.status not in ("completed", "failed", "cancelled"):
            reason = err.headline if isinstance(err, OrchestratorError) else repr(err)
            store.update_run(run_id, status=FAILED, ended_at=utcnow(),
                             error=f"not submitted to {name}: {reason}")
        raise
    if ref != run_id:
        store.update_run(run_id, external_id=ref)
    record = store.get_run(run_id)
    if record.status == FAILED:
        failed = [s for s in record.steps.values() if s.status == FAILED]
        where = f" at step '{failed[0].name}': {failed[0].error}" if failed else ""
        raise RunFailedError(
            f"run {run_id} of pipeline '{pipeline.name}' failed{where}",
            f"see the traceback with `sundial runs logs {run_id}`", run_id=run_id)
    return PipelineRun(record, store)


def follow(run_id: str, *, store: Store | None = None, poll: float | None = None) -> str:
    """Follow a run submitted to a platform until it ends, and record how it ended (the
    platform's reason for a failure; steps that never ran, ``skipped``); returns its status.
    What the scheduler's worker does for every scheduled run, for a run-now."""
    from sundial.scheduler.worker import follow as follow_remote
    from sundial.store.schedule_store import ScheduleStore

    store = store or Store.from_settings()
    rows = ScheduleStore(store)
    record = store.get_run(run_id)
    if record.status in ("completed", "failed", "cancelled") or not record.external_id:
        return record.status
    fields = rows.run_request(record.id)
    backend = get_orchestrator(fields.pop("orchestrator"), store, fields.pop("options"))
    follow_remote(store, rows, backend, RunRequest(**fields), record.external_id, poll)
    return store.get_run(record.id).status


class Rerun(Frozen):
    """What re-running a run means, prepared once for every caller: the run it re-runs, its
    parameters with the overrides (checked against the pipeline's signature when there are
    any), and the pipeline loaded from the run's recorded code when asked for."""

    of: RunRecord
    params: dict[str, Any]
    pipeline: Pipeline | None

    def __init__(self, of: RunRecord, params: dict[str, Any], pipeline: Pipeline | None) -> None:
        self.__dict__.update(of=of, params=params, pipeline=pipeline)


def prepare_rerun(store: Store, run_id: str, params: Mapping[str, Any] | None = None, *,
                  load: bool = False) -> Rerun:
    """The re-run of ``run_id`` (an id or a unique prefix) with ``params`` over its own.

    The pipeline is loaded (imported from where the run's version was recorded, with the
    run's cache setting) when ``load`` is set or there are overrides to check.

    :raises NotFoundError: no such run.
    :raises TargetNotFoundError: its code is no longer where it ran.
    :raises ParameterError: an override the pipeline does not take, or of the wrong type.
    """
    from sundial.engine.runner import json_params
    from sundial.store.run_control import run_source

    old = store.get_run(run_id)
    pipeline = None
    if load or params:
        source, enable_cache = run_source(store, old.id)
        pipeline = _load_source(old, source)
        if enable_cache is not None:
            pipeline = pipeline.with_options(enable_cache=enable_cache)
    merged = dict(old.params)
    if params:
        assert pipeline is not None
        merged = json_params(pipeline.bind_params((), {**merged, **params}))
    return Rerun(of=old, params=merged, pipeline=pipeline)


def _load_source(old: RunRecord, source: dict[str, Any]) -> Pipeline:
    from sundial.engine.loader import load_pipeline_from_source

    try:
        return load_pipeline_from_source(source)
    except TargetNotFoundError as err:  # its own fix speaks of a TARGET nobody typed here
        raise TargetNotFoundError(
            err.headline, f"run {old.id[:8]} re-runs pipeline '{old.pipeline}' from where it "
            "ran; put the code back there, or run it from where it lives now with "
            "`sundial run path/to/file.py:PIPELINE`") from None


def rerun(run_id: str, params: Mapping[str, Any] | None = None, *,
          store: Store | None = None) -> PipelineRun:
    """Re-run a run out of this process, on the orchestrator it used; returns the new run at
    once (``starting``), which ``PipelineRun.refresh()`` follows.

    The new run is recorded first (same pipeline version, orchestrator, cache setting and
    schedule; ``params`` over the run's own; trigger ``rerun``), durably, then handed to a
    worker process of its own (``python -m sundial.scheduler.worker RUN_ID``, in its own
    session: it outlives this process), which submits it as the scheduler's workers do. A
    worker that dies is failed by a scheduler's reaper (``worker lost``); one that never
    started, because this process was killed in between, is failed by it too, never left
    queued.
    """
    import socket

    from sundial.client import PipelineRun
    from sundial.store.run_control import record_rerun

    store = store or Store.from_settings()
    prepared = prepare_rerun(store, run_id, params)
    owner = f"rerun:{socket.gethostname()}:{os.getpid()}"
    new_id = record_rerun(store, prepared.of.id, prepared.params, owner, utcnow())
    _start_worker(store, new_id)
    return PipelineRun(store.get_run(new_id), store)


def _start_worker(store: Store, run_id: str) -> None:
    """Start the worker of a ``starting`` run as the scheduler does (a session of its own, its
    log in ``$SUNDIAL_HOME/logs/RUN_ID.log``), on this store; while this process lives, a
    worker that exits abnormally has its run failed at once."""
    import logging

    from sundial.config import Settings
    from sundial.scheduler.service import SubprocessExecutor, exit_reason
    from sundial.store.schedule_store import ScheduleStore

    def ended(run_id: str, code: int) -> None:
        if code == 0:
            return
        try:
            ScheduleStore(store).fail_run_if_active(run_id, utcnow(), exit_reason(code))
        except Exception as err:  # the store is unreachable: a scheduler's reaper fails it
            logging.getLogger("sundial").warning("run %s: its worker exited with code %s and "
                                                 "the store could not say so: %s", run_id, code,
                                                 err)

    SubprocessExecutor(ended, Settings.from_env().home / "logs",
                       env={"SUNDIAL_DATABASE_URL": store.url}).start(run_id)


class Registered(Frozen):
    """What :func:`register` did, for the caller to report: the schedule, the name it was
    given on the platform (when that differs), and the defaults taken there."""

    info: ScheduleInfo
    platform_name: str | None
    default_here: dict[str, str]

    def __init__(self, info: ScheduleInfo, platform_name: str | None,
                 default_here: dict[str, str]) -> None:
        self.__dict__.update(info=info, platform_name=platform_name, default_here=default_here)


def register(pipeline: Pipeline, params: dict[str, Any], schedule: Schedule, *,
             orchestrator: str | None = None, mode: ScheduleMode | None = None,
             options: Mapping[str, Any] | None = None, paused: bool = False,
             store: Store | None = None, language: Language = "python",
             replace: bool = False) -> Registered:
    """Register ``schedule`` for ``pipeline`` with ``params`` on an orchestrator.

    ``mode`` ``None`` means native when the backend has a scheduler of its own, else sundial
    mode. Native: the schedule is checked (set fields honoured exactly or refused, in the
    caller's ``language``), created on the platform, then recorded; if the platform refuses,
    nothing is recorded. The name is ``schedule.name`` or ``<pipeline>-<UTC timestamp>``; a
    taken name is refused before anything is created.
    """
    from sundial.engine.runner import json_params, record_version
    from sundial.scheduler.registration import record_schedule

    name_ = orchestrator or pipeline.options.orchestrator
    store = store or Store.from_settings()
    backend = get_orchestrator(name_, store, options)
    if mode is None:
        mode = "native" if backend.native_schedules() else "sundial"
    elif mode == "native" and not backend.native_schedules():
        raise UnsupportedOperationError(
            f"orchestrator '{name_}' has no scheduler of its own",
            'leave schedule_mode unset: sundial\'s scheduler fires the ticks (sundial mode)',
            cli_fix="leave out --native: sundial's scheduler fires the ticks (sundial mode)")
    defaulted = fields_left_default(schedule)
    default_here: dict[str, str] = {}
    if mode == "native":
        default_here = backend.check_schedule(schedule, defaulted, language=language)
    # Tracing now refuses a broken pipeline at registration, not at its first tick.
    graph, pipeline_id, version_id = record_version(store, pipeline, params)
    now = utcnow()
    name = schedule.name or f"{pipeline.name}-{now:%Y_%m_%d-%H_%M_%S_%f}"
    from sundial.orchestrators.native import Deployment
    from sundial.store.schedule_store import ScheduleStore

    ScheduleStore(store).get_free_name(name)
    schedule_id = str(uuid.uuid4())
    stored_params = json_params(params)
    deployment = {"mode": mode, "defaulted": sorted(defaulted), "default_here": default_here,
                  "options": {k: _jsonable(v) for k, v in (options or {}).items()}}
    native_ref = platform_name = None
    if mode == "native":
        platform_name = backend.platform_name(name)
        native_ref = backend.create_schedule(Deployment(
            name=name, schedule_id=schedule_id, pipeline=pipeline.name, version_id=version_id,
            spec=graph.spec(), params=stored_params, schedule=schedule.replace(name=name),
            enable_cache=pipeline.options.enable_cache, paused=paused, defaulted=defaulted,
            options=dict(options or {}), replace=replace))
    try:
        info = record_schedule(
            store, schedule_id=schedule_id, name=name, pipeline_id=pipeline_id,
            version_id=version_id, params=stored_params,
            enable_cache=pipeline.options.enable_cache, orchestrator=name_,
            schedule=schedule, native_ref=native_ref, deployment=deployment, now=now,
            paused=paused)
    except BaseException:
        if native_ref is not None:  # no half-registered schedule: take it off the platform
            backend.delete_schedule(native_ref)
        raise
    return Registered(info=info, default_here=default_here,
                      platform_name=platform_name if platform_name != name else None)


def register_many(pipeline: Pipeline, params: dict[str, Any], schedules: Sequence[Schedule], *,
                  orchestrator: str | None = None, options: Mapping[str, Any] | None = None,
                  paused: bool = False, store: Store | None = None) -> list[ScheduleInfo]:
    """Register many schedules of ``pipeline`` with ``params`` at once, in sundial mode, in
    one transaction: all are recorded or, when a name is taken, none.

    A thousand schedules take well under a second this way, against seconds one by one. Each
    run is submitted to ``orchestrator`` when its tick fires.
    """
    from sundial.engine.runner import json_params, record_version
    from sundial.scheduler.registration import record_schedules

    name_ = orchestrator or pipeline.options.orchestrator
    store = store or Store.from_settings()
    get_orchestrator(name_, store, options)  # an unknown backend is refused before anything
    _graph, pipeline_id, version_id = record_version(store, pipeline, params)
    return record_schedules(
        store, pipeline_name=pipeline.name, pipeline_id=pipeline_id, version_id=version_id,
        params=json_params(params), enable_cache=pipeline.options.enable_cache,
        orchestrator=name_, schedules=schedules, paused=paused)


def register_schedule(pipeline: Pipeline, params: dict[str, Any], schedule: Schedule, *,
                      orchestrator: str | None = None, store: Store | None = None,
                      **kwargs: Any) -> ScheduleInfo:
    """:func:`register`, returning only the schedule's record (what a pipeline call returns)."""
    return register(pipeline, params, schedule, orchestrator=orchestrator, store=store,
                    **kwargs).info


def _jsonable(value: Any) -> Any:
    """An option as the schedule record keeps it (JSON): the worker reads it back into the
    backend's typed settings, so sequences stay lists and other values become text."""
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
