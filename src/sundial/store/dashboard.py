"""Read-only queries behind the dashboard and the REST API: pages of runs and schedules with
their totals, the last run of each schedule, recent skipped ticks, pipelines, live leases.

Every query is bounded (a page, a limit, or one row per schedule of a page), so a store with
many thousands of runs serves a page in a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from sundial.store import tables as t
from sundial.store.records import ACTIVE_RUN_STATUSES, DELETED, RunRecord
from sundial.store.schedule_record import ScheduleRecord
from sundial.store.schedule_store import ScheduleStore
from sundial.store.store import Store

MAX_PAGE = 500


@dataclass(frozen=True)
class RunFilter:
    """Which runs a page shows; every field is optional."""

    pipeline: str | None = None
    schedule_id: str | None = None
    status: str | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before

    def where(self) -> list[Any]:
        r = t.runs.c
        conds: list[Any] = []
        if self.pipeline:
            conds.append(t.pipelines.c.name == self.pipeline)
        if self.schedule_id:
            conds.append(r.schedule_id == self.schedule_id)
        if self.status:
            conds.append(r.status == self.status)
        if self.since:
            conds.append(r.created_at >= self.since)
        if self.until:
            conds.append(r.created_at < self.until)
        return conds


@dataclass(frozen=True)
class LastRun:
    run_id: str
    status: str
    nominal_at: datetime | None


@dataclass(frozen=True)
class Skip:
    nominal_at: datetime
    reason: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class Lease:
    owner: str
    schedule: str
    expires_at: datetime


class DashboardQueries:
    """The dashboard's reads over one :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def runs_page(self, filt: RunFilter, *, limit: int = 50,
                  offset: int = 0) -> tuple[list[RunRecord], int]:
        """One page of runs, newest first, and how many match in all. The runs are brief:
        their steps have no logs, traceback or artifacts (load one run for those)."""
        conds = filt.where()
        count = (select(func.count()).select_from(t.runs)
                 .join(t.pipelines, t.pipelines.c.id == t.runs.c.pipeline_id).where(*conds))
        with self.store.read() as conn:
            total = int(conn.execute(count).scalar_one())
        runs = self.store._load_runs(*conds, limit=max(0, min(limit, MAX_PAGE)),
                                     offset=max(0, offset), brief=True)
        return runs, total

    def schedule(self, name_or_id: str) -> ScheduleRecord:
        """A schedule by name or id, deleted ones included (their runs stay browsable)."""
        return ScheduleStore(self.store).get(name_or_id, include_deleted=True)

    def schedules_page(self, *, limit: int = 100, offset: int = 0,
                       include_deleted: bool = False,
                       pipeline: str | None = None) -> tuple[list[ScheduleRecord], int]:
        s = t.schedules.c
        conds: list[Any] = []
        if not include_deleted:
            conds.append(s.state != DELETED)
        if pipeline:
            conds.append(t.pipelines.c.name == pipeline)
        rows = ScheduleStore(self.store)
        q = (rows._query().where(*conds).order_by(s.created_at, s.id)
             .limit(max(0, min(limit, MAX_PAGE))).offset(max(0, offset)))
        count = (select(func.count()).select_from(t.schedules)
                 .join(t.pipelines, t.pipelines.c.id == s.pipeline_id).where(*conds))
        with self.store.read() as conn:
            total = int(conn.execute(count).scalar_one())
            return [rows._record(r) for r in conn.execute(q).all()], total

    def last_runs(self, schedule_ids: Sequence[str]) -> dict[str, LastRun]:
        """The run of the newest tick of each schedule (one query for a whole page)."""
        if not schedule_ids:
            return {}
        r = t.runs.c
        newest = (select(r.schedule_id, func.max(r.nominal_at).label("nominal_at"))
                  .where(r.schedule_id.in_(schedule_ids)).group_by(r.schedule_id).subquery())
        q = select(r.id, r.schedule_id, r.status, r.nominal_at).join(
            newest, and_(r.schedule_id == newest.c.schedule_id,
                         r.nominal_at == newest.c.nominal_at))
        with self.store.read() as conn:
            return {row.schedule_id: LastRun(row.id, row.status, row.nominal_at)
                    for row in conn.execute(q).all()}

    def recent_skips(self, schedule_id: str, limit: int = 20) -> list[Skip]:
        """The newest skipped ticks of a schedule, with their reasons."""
        k = t.ticks.c
        q = (select(k.nominal_at, k.reason, k.recorded_at)
             .where(k.schedule_id == schedule_id, k.decision == "skipped")
             .order_by(k.nominal_at.desc()).limit(limit))
        with self.store.read() as conn:
            return [Skip(row.nominal_at, row.reason, row.recorded_at)
                    for row in conn.execute(q).all()]

    def runs_in_flight(self) -> int:
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(t.runs).where(
                t.runs.c.status.in_(tuple(ACTIVE_RUN_STATUSES)))).scalar_one())

    def pipelines(self) -> list[dict[str, Any]]:
        """Every pipeline with its number of versions and runs and its newest run."""
        p, v, r = t.pipelines.c, t.pipeline_versions.c, t.runs.c
        versions = (select(v.pipeline_id, func.count().label("n")).group_by(v.pipeline_id)
                    .subquery())
        runs = (select(r.pipeline_id, func.count().label("n"),
                       func.max(r.created_at).label("last"))
                .group_by(r.pipeline_id).subquery())
        q = (select(p.name, p.created_at, versions.c.n.label("versions"),
                    runs.c.n.label("runs"), runs.c.last.label("last_run_at"))
             .outerjoin(versions, versions.c.pipeline_id == p.id)
             .outerjoin(runs, runs.c.pipeline_id == p.id).order_by(p.name))
        with self.store.read() as conn:
            rows = conn.execute(q).all()
        # func.max loses the column's type: read the instant back as the store does.
        as_utc = t.UTCDateTime().process_result_value
        return [{"name": row.name, "created_at": row.created_at.isoformat(),
                 "versions": int(row.versions or 0), "runs": int(row.runs or 0),
                 "last_run_at": _iso(as_utc(_parse(row.last_run_at), self.store.engine.dialect))}
                for row in rows]

    def leases(self, now: datetime) -> list[Lease]:
        """Schedules leased right now, by the scheduler replica that holds each."""
        s = t.schedules.c
        q = (select(s.lease_owner, s.name, s.lease_expires_at)
             .where(s.lease_owner.is_not(None), s.lease_expires_at > now)
             .order_by(s.lease_owner, s.name).limit(MAX_PAGE))
        with self.store.read() as conn:
            return [Lease(row.lease_owner, row.name, row.lease_expires_at)
                    for row in conn.execute(q).all()]


def _parse(value: Any) -> datetime | None:
    # SQLite gives an aggregate's datetime back as text.
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
