"""Late ticks and silent replicas, on the simulated clock, with alerts to a loopback webhook.

Replicas beat into the store; on each beat a replica reports ticks overdue by more than the
lateness (no scheduler was alive, or the one holding the schedule is stuck) and replicas that
went silent, each once whichever replica notices it. Here the beats are called directly at
chosen simulated instants (in `serve` a thread makes them every 15 s of real time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from receivers import Webhook, webhook_server
from sundial import Schedule, pipeline, step
from sundial.alerts import AlertDispatcher
from sundial.alerts.webhook import WebhookChannel
from sundial.scheduler.api import Schedules
from sundial.scheduler.clock import SimulatedClock
from sundial.scheduler.service import SchedulerService
from sundial.store.records import COMPLETED
from sundial.store.store import Store

LATENESS = timedelta(minutes=5)


@step
def ping() -> int:
    return 1


@pipeline
def pinger() -> None:
    ping()


class FinishingExecutor:
    def __init__(self, store: Store) -> None:
        self.store = store

    def start(self, run_id: str) -> None:
        self.store.update_run(run_id, status=COMPLETED)


def replica(store: Store, clock: SimulatedClock, owner: str, hook: Webhook
            ) -> SchedulerService:
    alerts = AlertDispatcher([WebhookChannel(hook.url, timeout=5)], retries=0)
    return SchedulerService(store, clock=clock, executor=FinishingExecutor(store), owner=owner,
                            heartbeat_timeout=timedelta(days=365), alerts=alerts,
                            lateness=LATENESS)


@pytest.fixture
def setup(sundial_env: Path, database_url: str) -> tuple[Store, SimulatedClock]:
    store = Store(database_url)
    # In the future of the stores' own stamps (creation times), on a whole hour.
    start = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return store, SimulatedClock(start)


def kinds(hook: Webhook) -> list[tuple[str, str]]:
    return [(b["kind"], b.get("schedule") or b.get("replica")) for b in hook.bodies]


def test_a_tick_overdue_past_the_lateness_is_reported_once(
        setup: tuple[Store, SimulatedClock]) -> None:
    store, clock = setup
    pinger.run(schedule=Schedule(name="hourly", interval_second=3600, start_time=clock.now()))
    with webhook_server() as hook:
        a, b = replica(store, clock, "a", hook), replica(store, clock, "b", hook)
        a.step()  # fires the tick at T0; the next is due at T0 + 1h
        a.watch.beat(clock.now())
        clock.advance(timedelta(hours=1) + LATENESS - timedelta(seconds=1))
        a.watch.beat(clock.now())  # overdue, but within the lateness
        clock.advance(timedelta(seconds=2))  # no scheduler handled it: now it is late
        a.watch.beat(clock.now())
        b.watch.beat(clock.now())  # the other replica sees it too, and does not repeat it
        a.watch.beat(clock.now())
        a.step()  # handled at last
        a.watch.beat(clock.now())
        for svc in (a, b):
            svc.watch.stop(clock.now())
        assert kinds(hook) == [("schedule_late", "hourly")]
        (alert,) = hook.bodies
    assert alert["nominal_at"] == (clock.now() - LATENESS - timedelta(seconds=1)).isoformat()
    assert alert["overdue_seconds"] == 301.0
    assert "has not fired 0:05:01 after it was due" in alert["summary"]


def test_a_resumed_schedule_is_not_late_for_its_pause(
        setup: tuple[Store, SimulatedClock]) -> None:
    store, clock = setup
    pinger.run(schedule=Schedule(name="paused", interval_second=3600, start_time=clock.now()))
    schedules = Schedules(store, clock)
    with webhook_server() as hook:
        a = replica(store, clock, "a", hook)
        a.step()
        schedules.pause("paused")
        clock.advance(timedelta(hours=5))
        a.watch.beat(clock.now())  # paused: never late
        schedules.resume("paused")
        clock.advance(LATENESS - timedelta(seconds=1))
        a.watch.beat(clock.now())  # resumed just now: not late yet
        clock.advance(timedelta(seconds=2))
        a.watch.beat(clock.now())  # resumed, and still not handled after the lateness
        a.watch.stop(clock.now())
        assert kinds(hook) == [("schedule_late", "paused")]


def test_a_silent_replica_is_reported_once_and_a_stopped_one_never(
        setup: tuple[Store, SimulatedClock]) -> None:
    store, clock = setup
    with webhook_server() as hook:
        a, b, c = (replica(store, clock, name, hook) for name in "abc")
        for svc in (a, b, c):
            svc.watch.beat(clock.now())
        c.watch.stop(clock.now())  # a clean stop
        clock.advance(timedelta(seconds=59))
        a.watch.beat(clock.now())  # b is quiet, but not yet for long enough
        clock.advance(timedelta(seconds=2))
        a.watch.beat(clock.now())
        a.watch.beat(clock.now())
        a.watch.stop(clock.now())
        assert kinds(hook) == [("replica_silent", "b")]
        assert hook.bodies[0]["host"] and hook.bodies[0]["pid"]


def test_a_tick_the_platform_did_not_fire_is_reported(
        setup: tuple[Store, SimulatedClock]) -> None:
    """A schedule that lives on a platform (here a row as `sundial deploy` records it; no
    platform runs in this test): the platform's runs are recorded with their tick, so a tick
    with no run after the lateness means the platform did not fire it."""
    import uuid

    from sundial.engine.runner import record_version
    from sundial.store.schedule_store import ScheduleStore

    store, clock = setup
    t0 = clock.now()
    _graph, pipeline_id, version_id = record_version(store, pinger, {})
    schedule = Schedule(name="on-airflow", interval_second=3600, start_time=t0)
    schedule_id = ScheduleStore(store).insert(
        name="on-airflow", pipeline_id=pipeline_id, version_id=version_id, params={},
        enable_cache=None, orchestrator="airflow", definition=schedule.to_json(),
        next_fire_at=t0, now=t0 - timedelta(minutes=1), native_ref="dag:pinger")

    def platform_ran(nominal: datetime) -> None:
        store.create_run(run_id=str(uuid.uuid4()), pipeline_id=pipeline_id,
                         version_id=version_id, params={}, status="completed",
                         orchestrator="airflow", schedule_id=schedule_id, nominal_at=nominal)

    with webhook_server() as hook:
        a = replica(store, clock, "a", hook)
        platform_ran(t0)
        clock.set(t0 + timedelta(hours=1) + LATENESS - timedelta(seconds=1))
        a.watch.beat(clock.now())  # the 1h tick is not late yet
        clock.advance(timedelta(seconds=2))
        a.watch.beat(clock.now())  # ... now it is, and it has no run
        a.watch.beat(clock.now())
        platform_ran(t0 + timedelta(hours=2))  # the platform fired the next one
        clock.set(t0 + timedelta(hours=2) + LATENESS + timedelta(seconds=1))
        a.watch.beat(clock.now())
        a.step()  # the sundial scheduler never fires a platform's schedule itself
        a.watch.stop(clock.now())
        assert kinds(hook) == [("schedule_late", "on-airflow")]
        (alert,) = hook.bodies
    assert alert["nominal_at"] == (t0 + timedelta(hours=1)).isoformat()
    assert alert["orchestrator"] == "airflow" and "the platform did not fire it" in \
        alert["summary"]
    with store.read() as conn:
        from sqlalchemy import func, select

        from sundial.store import tables as t

        assert conn.execute(select(func.count()).select_from(t.runs)).scalar_one() == 2


def test_a_frequent_native_schedule_is_reported_late_within_the_lateness(
        setup: tuple[Store, SimulatedClock]) -> None:
    """Every 10 s on a platform that stopped firing: once the backlog of the last hour is
    reported (100 ticks a beat), each beat reports the ticks that just became late, not
    only the oldest 100 of the hour (which left new late ticks unreported for ~50 minutes)."""
    from sqlalchemy import select

    from sundial.engine.runner import record_version
    from sundial.scheduler.watch import Watch
    from sundial.store import tables as t
    from sundial.store.schedule_store import ScheduleStore

    store, clock = setup
    t0 = clock.now()
    _graph, pipeline_id, version_id = record_version(store, pinger, {})
    schedule = Schedule(name="every-10s", interval_second=10, start_time=t0)
    ScheduleStore(store).insert(
        name="every-10s", pipeline_id=pipeline_id, version_id=version_id, params={},
        enable_cache=None, orchestrator="airflow", definition=schedule.to_json(),
        next_fire_at=t0, now=t0 - timedelta(minutes=1), native_ref="dag:every")
    watch = Watch(store, "a", lateness=LATENESS)
    clock.set(t0 + timedelta(hours=2))
    for _ in range(6):  # 15 s apart, as in serve
        watch.beat(clock.now())
        clock.advance(timedelta(seconds=15))
    newest = t0 + timedelta(hours=2, seconds=60) - LATENESS  # late since the 5th beat
    with store.read() as conn:
        keys = set(conn.execute(select(t.alerts_sent.c.key)).scalars())
    assert newest.isoformat() in keys
