"""Scheduler replicas and the alerts they send, in the store.

Replicas heartbeat into ``scheduler_replicas``; any replica (and ``sundial scheduler status``,
``sundial schedule list``) can tell from it which are alive. ``alerts_sent`` makes an alert
about one subject go out once, whichever replica notices first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from sundial.store import tables as t
from sundial.store.records import ACTIVE
from sundial.store.store import Store

# A replica that has not beaten for this long is forgotten (status lists recent ones only).
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Replica:
    owner: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None

    def alive(self, now: datetime, stale: timedelta) -> bool:
        return self.stopped_at is None and now - self.heartbeat_at <= stale


@dataclass(frozen=True)
class LateSchedule:
    id: str
    name: str
    next_fire_at: datetime


@dataclass(frozen=True)
class NativeSchedule:
    """An active schedule that a platform fires (its runs are recorded with their tick)."""

    id: str
    name: str
    orchestrator: str
    definition: str
    due_from: datetime  # ticks before this cannot be late: its creation or last resume


class ReplicaStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def beat(self, owner: str, host: str, pid: int, now: datetime) -> None:
        """Record that ``owner`` is alive (the first beat registers it)."""
        r = t.scheduler_replicas.c
        with self.store.write() as conn:
            if not conn.execute(update(t.scheduler_replicas).where(r.owner == owner)
                                .values(heartbeat_at=now, stopped_at=None)).rowcount:
                conn.execute(insert(t.scheduler_replicas).values(
                    owner=owner, host=host, pid=pid, started_at=now, heartbeat_at=now))
            conn.execute(delete(t.scheduler_replicas).where(
                r.heartbeat_at < now - FORGET_AFTER))

    def stop(self, owner: str, now: datetime) -> None:
        with self.store.write() as conn:
            conn.execute(update(t.scheduler_replicas).where(
                t.scheduler_replicas.c.owner == owner).values(stopped_at=now))

    def replicas(self) -> list[Replica]:
        with self.store.read() as conn:
            rows = conn.execute(select(t.scheduler_replicas).order_by(
                t.scheduler_replicas.c.started_at)).all()
        return [Replica(**row._mapping) for row in rows]

    def status(self, now: datetime, stale: timedelta) -> dict[str, Any]:
        """The JSON of ``sundial scheduler status --json`` (and the REST API's): each replica
        ``alive``, ``silent`` (no heartbeat for ``stale``) or ``stopped``."""
        rows = [{"replica": r.owner, "host": r.host, "pid": r.pid,
                 "state": "alive" if r.alive(now, stale) else
                 ("stopped" if r.stopped_at else "silent"),
                 "started_at": r.started_at.isoformat(),
                 "heartbeat_at": r.heartbeat_at.isoformat(),
                 "stopped_at": r.stopped_at.isoformat() if r.stopped_at else None}
                for r in self.replicas()]
        return {"alive": sum(r["state"] == "alive" for r in rows), "replicas": rows}

    def late(self, now: datetime, lateness: timedelta, limit: int = 100) -> list[LateSchedule]:
        """Active sundial-mode schedules whose next tick has been due for more than
        ``lateness``: a tick counts as due from the latest of its time, the schedule's
        creation and its last resume (a resumed schedule is not late for its pause)."""
        s = t.schedules.c
        cutoff = now - lateness
        with self.store.read() as conn:
            rows = conn.execute(select(s.id, s.name, s.next_fire_at).where(
                s.state == ACTIVE, s.native_ref.is_(None), s.next_fire_at < cutoff,
                s.created_at < cutoff, or_(s.resumed_at.is_(None), s.resumed_at < cutoff))
                .order_by(s.next_fire_at).limit(limit)).all()
        return [LateSchedule(r.id, r.name, r.next_fire_at) for r in rows]

    def native(self, limit: int = 1000) -> list[NativeSchedule]:
        s = t.schedules.c
        with self.store.read() as conn:
            rows = conn.execute(select(s.id, s.name, s.orchestrator, s.definition, s.created_at,
                                       s.resumed_at).where(
                s.state == ACTIVE, s.native_ref.is_not(None)).limit(limit)).all()
        return [NativeSchedule(r.id, r.name, r.orchestrator, r.definition,
                               max(r.created_at, r.resumed_at or r.created_at)) for r in rows]

    def claim_alert(self, kind: str, subject: str, key: str, now: datetime) -> bool:
        """True for the one caller that records this alert first; it sends it."""
        try:
            with self.store.write() as conn:
                conn.execute(insert(t.alerts_sent).values(kind=kind, subject=subject[:255],
                                                         key=key[:64], created_at=now))
        except IntegrityError:
            return False
        return True
