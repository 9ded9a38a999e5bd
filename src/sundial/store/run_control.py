"""Runs as a user steers them (CLI, API, dashboard): cancel one, re-run one, count what a
schedule's deletion would cancel, name the schedules of listed runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from sundial.errors import SundialError
from sundial.store import tables as t
from sundial.store.records import (
    CANCELLED,
    CANCELLING,
    FINISHED_RUN_STATUSES,
    QUEUED,
    RERUN,
    RUNNING,
    STARTING,
)
from sundial.store.store import Store


def cancel_run(store: Store, run_id: str, now: datetime) -> str:
    """Cancel a run: one that has not started ends ``cancelled`` at once; a running one turns
    ``cancelling`` and its worker stops it (its heartbeat sees the request). Returns the new
    status. :raises SundialError: when the run has ended already."""
    run_id = store.resolve_run_id(run_id)
    r = t.runs.c
    with store.write() as conn:
        status = conn.execute(select(r.status).where(r.id == run_id)).scalar_one()
        if status in FINISHED_RUN_STATUSES:
            raise SundialError(f"run {run_id} has ended already ({status})",
                               f"re-run it with `sundial runs rerun {run_id[:8]}`")
        if status in (QUEUED, STARTING):
            conn.execute(update(t.runs).where(r.id == run_id, r.status == status).values(
                status=CANCELLED, ended_at=now, error="cancelled by the user"))
            return CANCELLED
        if status == RUNNING:
            conn.execute(update(t.runs).where(r.id == run_id, r.status == RUNNING)
                         .values(status=CANCELLING))
        return CANCELLING


def run_source(store: Store, run_id: str) -> tuple[dict[str, Any], bool | None]:
    """The recorded code reference of a run's pipeline version, and the run's cache setting."""
    with store.read() as conn:
        row = conn.execute(select(t.runs.c.version_id, t.runs.c.enable_cache)
                           .where(t.runs.c.id == run_id)).one()
    _spec, source = store.version_source(row.version_id)
    return source, None if row.enable_cache is None else bool(row.enable_cache)


def record_rerun(store: Store, run_id: str, params: dict[str, Any], owner: str,
                 now: datetime) -> str:
    """Record a new run of ``run_id``'s pipeline version, orchestrator, cache setting and
    schedule (whose deployment options a worker submits with) with ``params``, already
    handed to a worker: ``starting``, owned by ``owner``, trigger ``rerun``, outside its
    schedule's max_active_runs as a manual run is. Durable: the record survives a crash of
    the caller before the worker starts. Returns the new run's id."""
    r = t.runs.c
    new_id = str(uuid.uuid4())
    with store.write(durable=True) as conn:
        old = conn.execute(select(r.pipeline_id, r.version_id, r.orchestrator, r.enable_cache,
                                  r.schedule_id).where(r.id == run_id)).one()
        conn.execute(insert(t.runs).values(
            id=new_id, pipeline_id=old.pipeline_id, version_id=old.version_id, status=STARTING,
            params=params, orchestrator=old.orchestrator, enable_cache=old.enable_cache,
            schedule_id=old.schedule_id, trigger=RERUN, bypass_limit=1, created_at=now,
            started_at=now, heartbeat_at=now, worker_host=owner))
    return new_id


def count_not_started(store: Store, schedule_id: str) -> int:
    """Runs of a schedule that are queued: those its deletion cancels."""
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.runs).where(
            t.runs.c.schedule_id == schedule_id, t.runs.c.status == QUEUED)).scalar_one())


def schedule_names(store: Store, ids: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    with store.read() as conn:
        rows = conn.execute(select(t.schedules.c.id, t.schedules.c.name)
                            .where(t.schedules.c.id.in_(wanted))).all()
    return {r.id: r.name for r in rows}


def run_nominals(store: Store, schedule_id: str, first: datetime,
                 last: datetime) -> list[datetime]:
    """Nominal times in [first, last] that already have a run of the schedule."""
    r = t.runs.c
    with store.read() as conn:
        return list(conn.execute(select(r.nominal_at).where(
            r.schedule_id == schedule_id, r.nominal_at >= first, r.nominal_at <= last))
            .scalars())
