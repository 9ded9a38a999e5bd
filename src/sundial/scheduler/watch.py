"""Replicas watching one another: heartbeats, late schedules, silent replicas, alerts.

Each scheduler replica beats into the store every :data:`BEAT_EVERY`; a replica whose beat is
older than :data:`STALE` (and that did not stop cleanly) is silent. On every beat a replica
also looks for schedules whose tick is overdue by more than the configured lateness (no
scheduler was alive, or the one holding the schedule is stuck) and reports each late tick and
each silent replica once, whichever replica notices first (``alerts_sent``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from sundial.alerts.base import LATE, REPLICA_SILENT, RUN_FAILED, Alert
from sundial.alerts.dispatch import AlertDispatcher
from sundial.scheduler.clock import Clock
from sundial.scheduler.outcomes import RunOutcome
from sundial.store.records import FAILED
from sundial.store.replica_store import Replica, ReplicaStore
from sundial.store.store import Store

log = logging.getLogger("sundial.scheduler")

BEAT_EVERY = timedelta(seconds=15)
STALE = timedelta(seconds=60)  # four beats missed
NATIVE_WINDOW = timedelta(hours=1)


def alive_replicas(store: Store, now: datetime) -> list[Replica]:
    """The replicas of this store that are alive now (for status, `schedule list`, hints)."""
    return [r for r in ReplicaStore(store).replicas() if r.alive(now, STALE)]


class Watch:
    def __init__(self, store: Store, owner: str, *, lateness: timedelta,
                 alerts: AlertDispatcher | None = None) -> None:
        self.rows = ReplicaStore(store)
        self.owner = owner
        self.lateness = lateness
        self.alerts = alerts
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Per native schedule, the last tick looked at: each beat goes on from there, so a
        # schedule with more than 100 ticks in NATIVE_WINDOW has its newest ticks looked at too.
        self._native_seen: dict[str, datetime] = {}

    def start(self, clock: Clock) -> None:
        """Beat now and then every BEAT_EVERY on a thread of its own: a long pass of the
        scheduler loop (or a stuck one) neither delays beats nor hides late schedules."""
        def loop() -> None:
            while True:
                try:
                    self.beat(clock.now())
                except Exception as err:  # the database may be down: the loop retries it
                    log.warning("replica heartbeat failed (%s); retrying in %s", err,
                                BEAT_EVERY)
                if self._stop.wait(BEAT_EVERY.total_seconds()):
                    return

        self._thread = threading.Thread(target=loop, name="sundial-watch", daemon=True)
        self._thread.start()

    def beat(self, now: datetime) -> None:
        """Beat, then report late schedules and silent replicas not reported yet."""
        self.rows.beat(self.owner, socket.gethostname(), os.getpid(), now)
        for late in self.rows.late(now, self.lateness):
            if not self.rows.claim_alert(LATE, late.id, late.next_fire_at.isoformat(), now):
                continue
            overdue = _round(now - late.next_fire_at)
            self._raise(Alert(LATE, f"schedule {late.name} is late: its tick of "
                              f"{late.next_fire_at.isoformat()} has not fired {overdue} after "
                              f"it was due (lateness {_round(self.lateness)})",
                              {"schedule": late.name, "nominal_at": late.next_fire_at.isoformat(),
                               "overdue_seconds": (now - late.next_fire_at).total_seconds()}))
        self._native_late(now)
        for r in self.rows.replicas():
            if r.owner == self.owner or r.stopped_at is not None or r.alive(now, STALE):
                continue
            if self.rows.claim_alert(REPLICA_SILENT, r.owner, r.heartbeat_at.isoformat(), now):
                self._raise(Alert(REPLICA_SILENT, f"scheduler replica {r.owner} has been "
                                  f"silent since {r.heartbeat_at.isoformat()}",
                                  {"replica": r.owner, "host": r.host, "pid": r.pid,
                                   "heartbeat_at": r.heartbeat_at.isoformat()}))

    def _native_late(self, now: datetime) -> None:
        """Ticks of schedules a platform fires (Airflow, a CronJob ...) that have no run
        recorded more than the lateness after they were due: the platform did not fire.
        Only ticks that became late within NATIVE_WINDOW are looked at, at most 100 per
        schedule and beat (bounded work; a beat comes every 15 s), each beat going on from
        the last tick the previous one looked at."""
        from sundial.definition.schedule import Schedule
        from sundial.store.run_control import run_nominals
        from sundial.timing import fire_times

        cutoff = now - self.lateness
        seen, self._native_seen = self._native_seen, {}
        for native in self.rows.native():
            try:
                schedule = Schedule.from_json(native.definition)
            except Exception:  # a damaged definition is reported where it is planned
                continue
            since = max(cutoff - NATIVE_WINDOW, native.due_from)
            if native.id in seen:  # fire_times starts after `since`: that tick was looked at
                since = max(since, seen[native.id])
                self._native_seen[native.id] = seen[native.id]
            ticks = list(fire_times(schedule, since, until=cutoff, limit=100)) \
                if since < cutoff else []
            if not ticks:
                continue
            fired = set(run_nominals(self.rows.store, native.id, ticks[0], ticks[-1]))
            for tick in ticks:
                if tick in fired or not self.rows.claim_alert(LATE, native.id,
                                                              tick.isoformat(), now):
                    continue
                self._raise(Alert(LATE, f"schedule {native.name} on {native.orchestrator} is "
                                  f"late: no run of its tick of {tick.isoformat()} was recorded "
                                  f"{_round(now - tick)} after it was due (lateness "
                                  f"{_round(self.lateness)}); the platform did not fire it",
                                  {"schedule": native.name, "orchestrator": native.orchestrator,
                                   "nominal_at": tick.isoformat(),
                                   "overdue_seconds": (now - tick).total_seconds()}))
            # Only now: a beat that fails half-way (the database is down) looks at them again.
            self._native_seen[native.id] = ticks[-1]

    def run_ended(self, outcome: RunOutcome) -> None:
        if outcome.status == FAILED and self.alerts is not None:
            self.alerts.send(Alert(RUN_FAILED, outcome.line(), outcome.as_dict()))

    def stop(self, now: datetime) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.rows.stop(self.owner, now)
        if self.alerts is not None:
            self.alerts.close()

    def _raise(self, alert: Alert) -> None:
        log.warning("%s", alert.summary, extra={"sundial": {"event": alert.kind, **alert.data}})
        if self.alerts is not None:
            self.alerts.send(alert)


def _round(delta: timedelta) -> timedelta:
    return timedelta(seconds=round(delta.total_seconds()))
