"""The scheduler service on a simulated clock, on SQLite and PostgreSQL.

Each rule of DESIGN §2 is driven through the real store and service: only the clock is
simulated and the executor records starts instead of spawning worker processes (those are
covered by test_replicas.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sundial import AlreadyExistsError, Client, InvalidScheduleError, Schedule, pipeline, step
from sundial.errors import NotFoundError
from sundial.scheduler.api import Schedules
from sundial.scheduler.clock import SimulatedClock
from sundial.scheduler.service import SchedulerService
from sundial.store import tables as t
from sundial.store.records import COMPLETED, RUNNING
from sundial.store.store import Store

HOUR = timedelta(hours=1)


@step
def work(n: int = 1) -> int:
    return n


@pipeline
def hourly(n: int = 1) -> None:
    work(n=n)


class RecordingExecutor:
    """Marks runs running when started; the test decides when they end."""

    def __init__(self, store: Store, clock: SimulatedClock, finish_at_once: bool = False):
        self.store, self.clock, self.finish_at_once = store, clock, finish_at_once
        self.started: list[str] = []

    def start(self, run_id: str) -> None:
        self.started.append(run_id)
        status = COMPLETED if self.finish_at_once else RUNNING
        self.store.update_run(run_id, status=status, heartbeat_at=self.clock.now(),
                              ended_at=self.clock.now() if self.finish_at_once else None)

    def finish(self, run_id: str | None = None) -> None:
        for rid in [run_id] if run_id else list(self.started):
            if self.store.get_run(rid).status == RUNNING:
                self.store.update_run(rid, status=COMPLETED, ended_at=self.clock.now())


@pytest.fixture
def env(sundial_env: Path, database_url: str) -> tuple[Store, SimulatedClock]:
    store = Store(database_url)
    # Whole hours, so nominal times read easily; the store's own stamps use real time.
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return store, SimulatedClock(start)


def service(store: Store, clock: SimulatedClock, **kw: object) -> tuple[SchedulerService,
                                                                         RecordingExecutor]:
    ex = RecordingExecutor(store, clock, finish_at_once=bool(kw.pop("finish_at_once", False)))
    svc = SchedulerService(store, clock=clock, executor=ex,
                           heartbeat_timeout=timedelta(days=365), **kw)  # type: ignore[arg-type]
    return svc, ex


def runs_of(store: Store, name: str) -> list[tuple[datetime, str, str]]:
    sched = Schedules(store).get(name)
    with store.read() as conn:
        rows = conn.execute(select(t.runs.c.nominal_at, t.runs.c.trigger, t.runs.c.status)
                            .where(t.runs.c.schedule_id == sched.id)
                            .order_by(t.runs.c.nominal_at)).all()
    return [(r.nominal_at, r.trigger, r.status) for r in rows]


def skips(store: Store, name: str) -> dict[str, int]:
    return Schedules(store).describe(name)["skipped_by_reason"]


def register(store: Store, name: str, **fields: object) -> None:
    hourly.with_options(schedule=Schedule(name=name, **fields))()  # type: ignore[arg-type]


def test_registration_returns_the_record_and_does_not_run(env: tuple[Store, SimulatedClock]
                                                          ) -> None:
    store, clock = env
    info = hourly.with_options(schedule=Schedule(name="a", cron_expression="5 14 * * 3"))(n=2)
    assert info.name == "a" and info.state == "active" and info.next_fire_at is not None
    assert Client(store).list_runs() == []
    with pytest.raises(AlreadyExistsError, match="'a' exists already"):
        hourly.run(schedule=Schedule(name="a", interval_second=60))
    unnamed = hourly.run(schedule=Schedule(interval_second=60))
    assert unnamed.name.startswith("hourly-20")
    assert Schedules(store, clock).get(unnamed.name).record.params == {"n": 1}


def test_catchup_after_downtime_runs_every_missed_tick_in_order(
        env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    register(store, "cu", interval_second=HOUR, start_time=clock.now() - 5 * HOUR,
             catchup=True)
    svc, ex = service(store, clock)
    svc.step()
    runs = runs_of(store, "cu")
    assert [r[0] for r in runs] == [clock.now() - k * HOUR for k in range(5, -1, -1)]
    assert [r[1] for r in runs] == ["catchup"] * 5 + ["live"]
    for _ in range(6):  # max_active_runs=1: one at a time, oldest first
        assert len(ex.started) == len(set(ex.started))
        ex.finish()
        svc.step()
    assert [s for _, _, s in runs_of(store, "cu")] == [COMPLETED] * 6
    assert [store.get_run(r).nominal_at for r in ex.started] == [r[0] for r in runs]


def test_no_catchup_runs_only_the_latest_missed_tick(env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    register(store, "nc", interval_second=HOUR, start_time=clock.now() - 5 * HOUR)
    svc, _ = service(store, clock)
    svc.step()
    assert [(n, tr) for n, tr, _ in runs_of(store, "nc")] == [(clock.now(), "live")]
    assert skips(store, "nc") == {"catchup_disabled": 5}


def test_pause_and_resume_with_missed_ticks(env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    register(store, "p", interval_second=HOUR, start_time=clock.now())
    svc, _ = service(store, clock, finish_at_once=True)
    svc.step()
    schedules = Schedules(store, clock)
    schedules.pause("p", note="maintenance")
    assert schedules.get("p").state == "paused"
    assert schedules.describe("p")["pause_note"] == "maintenance"
    clock.advance(3 * HOUR + timedelta(minutes=10))
    svc.step()
    assert len(runs_of(store, "p")) == 1  # nothing fires while paused
    schedules.resume("p")
    svc.step()
    runs = runs_of(store, "p")
    assert [n for n, _, _ in runs] == [clock.now() - timedelta(minutes=190),
                                       clock.now() - timedelta(minutes=10)]
    assert skips(store, "p") == {"paused": 2}


def test_catchup_window_limits_what_catch_up_runs(env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    register(store, "w", interval_second=HOUR, start_time=clock.now() - 10 * HOUR,
             catchup=True, catchup_window=timedelta(hours=3))
    svc, _ = service(store, clock)
    svc.step()
    assert [n for n, _, _ in runs_of(store, "w")] == [clock.now() - k * HOUR
                                                      for k in (3, 2, 1, 0)]
    assert skips(store, "w") == {"outside_window": 7}


@pytest.mark.parametrize(("overlap", "expect_runs", "expect_started", "first_status"), [
    ("queue", 2, 1, RUNNING),
    ("skip", 1, 1, RUNNING),
    ("replace", 2, 1, "cancelling"),
    ("allow", 2, 2, RUNNING),
])
def test_overlap_policies(env: tuple[Store, SimulatedClock], overlap: str, expect_runs: int,
                          expect_started: int, first_status: str) -> None:
    store, clock = env
    register(store, "o", interval_second=HOUR, start_time=clock.now(), overlap=overlap)
    svc, ex = service(store, clock)
    svc.step()
    assert len(ex.started) == 1  # the first tick runs and keeps running
    clock.advance(HOUR)
    svc.step()
    runs = runs_of(store, "o")
    assert len(runs) == expect_runs
    assert len(ex.started) == expect_started
    assert runs[0][2] == first_status
    if overlap == "skip":
        assert skips(store, "o") == {"overlap_skip": 1}
    if overlap == "queue":
        ex.finish()
        svc.step()
        assert len(ex.started) == 2


def test_end_time_completes_the_schedule(env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    register(store, "e", interval_second=HOUR, start_time=clock.now(),
             end_time=clock.now() + 2 * HOUR)
    svc, _ = service(store, clock, finish_at_once=True)
    for _ in range(4):
        svc.step()
        clock.advance(HOUR)
    assert len(runs_of(store, "e")) == 3  # start and end are inclusive
    assert Schedules(store, clock).get("e").state == "completed"
    assert svc.schedules.is_idle()


def test_max_runs_completes_the_schedule(env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    register(store, "m", interval_second=HOUR, start_time=clock.now() - 10 * HOUR,
             catchup=True, max_runs=4)
    svc, _ = service(store, clock, finish_at_once=True)
    for _ in range(6):
        svc.step()
    assert len(runs_of(store, "m")) == 4
    assert Schedules(store, clock).get("m").state == "completed"


def test_update_of_timing_neither_reruns_nor_drops(env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    t0 = clock.now()
    register(store, "u", interval_second=HOUR, start_time=t0, catchup=True)
    svc, _ = service(store, clock, finish_at_once=True)
    for _ in range(3):  # ticks t0, t0+1h, t0+2h handled
        svc.step()
        clock.advance(HOUR)
    # Now half-hourly from the same start: t0+30m ... t0+2h are already behind the mark.
    Schedules(store, clock).update("u", interval_second=timedelta(minutes=30))
    clock.advance(timedelta(minutes=10))  # now t0+3h10m
    svc.step()
    nominals = [n for n, _, _ in runs_of(store, "u")]
    assert nominals == [t0, t0 + HOUR, t0 + 2 * HOUR, t0 + timedelta(minutes=150),
                        t0 + 3 * HOUR]
    assert len(set(nominals)) == len(nominals)
    with pytest.raises(InvalidScheduleError, match="interval_second"):
        Schedules(store, clock).update("u", interval_second=-5)


def test_backfill_and_trigger_go_through_the_exactly_once_path(
        env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    t0 = clock.now() - 10 * HOUR
    register(store, "b", interval_second=HOUR, start_time=t0)
    svc, ex = service(store, clock, finish_at_once=True)
    svc.step()  # catchup=False: only the live tick (t0+10h) runs
    assert skips(store, "b") == {"catchup_disabled": 10}
    schedules = Schedules(store, clock)
    seen: list[tuple[int, int]] = []
    first = schedules.backfill("b", t0, t0 + 4 * HOUR,
                               progress=lambda d, n: seen.append((d, n)))
    assert (first.ticks, first.created, first.existing) == (5, 5, 0)
    assert seen[-1] == (5, 5)
    # Issue 9, defect 7: a back-filled tick is no longer counted as skipped.
    assert skips(store, "b") == {"catchup_disabled": 5}
    again = schedules.backfill("b", t0 + 3 * HOUR, t0 + 6 * HOUR)
    assert (again.ticks, again.created) == (4, 2)
    assert skips(store, "b") == {"catchup_disabled": 3}
    assert schedules.describe("b")["runs_by_trigger"] == {"backfill": 7, "live": 1}
    with store.read() as conn:  # each promoted tick points at its run
        promoted = conn.execute(select(t.ticks.c.run_id, t.runs.c.trigger)
                                .join(t.runs, t.runs.c.id == t.ticks.c.run_id)
                                .where(t.ticks.c.reason == "backfill")).all()
    assert len(promoted) == 7 and {tr for _, tr in promoted} == {"backfill"}
    run_id = schedules.trigger("b")
    for _ in range(9):  # max_active_runs=1: the queued runs start one per pass, oldest first
        svc.step()
    runs = runs_of(store, "b")
    assert len(runs) == 1 + 7 + 1
    assert sorted(tr for _, tr, _ in runs) == ["backfill"] * 7 + ["live", "manual"]
    assert ex.started[-1] == run_id
    assert {s for _, _, s in runs} == {COMPLETED}
    with pytest.raises(InvalidScheduleError, match="in the future"):
        schedules.backfill("b", t0, datetime.now(UTC) + HOUR)


def test_describe_and_delete(env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    register(store, "d", cron_expression="0 * * * *", timezone="Europe/Berlin",
             start_time=clock.now() - 3 * HOUR)
    svc, _ = service(store, clock, finish_at_once=True)
    svc.step()
    schedules = Schedules(store, clock)
    d = schedules.describe("d")
    assert d["state"] == "active" and d["kind"] == "cron"
    assert len(d["last_runs"]) == 1 and d["last_runs"][0]["status"] == COMPLETED
    assert len(d["next_fire_times"]) == 10
    assert d["next_fire_times"][0].endswith(("+01:00", "+02:00"))
    assert d["skipped_by_reason"] == {"catchup_disabled": 3}
    schedules.delete("d")
    assert [i.name for i in schedules.list()] == []
    assert [i.name for i in schedules.list(include_deleted=True)] == ["d"]
    assert len(Client(store).list_runs()) == 1  # history stays
    schedules.delete("d", hard=True)
    assert schedules.list(include_deleted=True) == []
    assert len(Client(store).list_runs()) == 1


def test_dst_spring_forward_through_the_service(sundial_env: Path, database_url: str) -> None:
    store = Store(database_url)
    # 2026-03-29 in Europe/Berlin: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist and
    # Debian cron fires it once right after the jump, at 03:00 CEST (01:00 UTC).
    clock = SimulatedClock(datetime(2026, 3, 27, 12, tzinfo=UTC))
    register(store, "dst", cron_expression="30 2 * * *", timezone="Europe/Berlin",
             start_time=datetime(2026, 3, 27, 12, tzinfo=UTC))
    svc, _ = service(store, clock, finish_at_once=True)
    for _ in range(4 * 24):
        svc.step()
        clock.advance(HOUR)
    zone = Schedule.model_validate({"cron_expression": "* * * * *",
                                    "timezone": "Europe/Berlin"}).zone
    assert [n.astimezone(zone).isoformat() for n, _, _ in runs_of(store, "dst")] == [
        "2026-03-28T02:30:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
    ]


def test_heartbeat_reaper_and_never_started_workers(env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    register(store, "h", interval_second=HOUR, start_time=clock.now(), overlap="allow")
    ex = RecordingExecutor(store, clock)
    svc = SchedulerService(store, clock=clock, executor=ex,
                           heartbeat_timeout=timedelta(seconds=30))
    svc.step()
    clock.advance(31)
    svc.step()
    run = store.get_run(ex.started[0])
    assert (run.status, run.error) == ("failed", "worker lost")

    class NeverStarts:
        def start(self, run_id: str) -> None:
            pass

    svc2 = SchedulerService(store, clock=clock, executor=NeverStarts(),
                            heartbeat_timeout=timedelta(seconds=30))
    clock.advance(HOUR)
    svc2.step()
    starting = [r for r in Client(store).list_runs() if r.status == "starting"]
    assert len(starting) == 1
    clock.advance(31)
    svc.step()  # handed to a worker that never came: queued again, then started
    assert store.get_run(starting[0].id).status == RUNNING


def test_two_services_alternating_never_double_fire(env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    start = clock.now() - 2 * HOUR
    for i in range(3):
        register(store, f"r{i}", interval_second=timedelta(minutes=7 + i),
                 start_time=start, catchup=True, overlap="allow")
    a, _ = service(store, clock, finish_at_once=True, owner="a")
    b, _ = service(store, clock, finish_at_once=True, owner="b")
    for i in range(40):
        (a if i % 2 else b).step()
        last_step = clock.now()
        clock.advance(timedelta(minutes=3))
    for i in range(3):
        interval = timedelta(minutes=7 + i)
        count = int((last_step - start) / interval) + 1
        assert [n for n, _, _ in runs_of(store, f"r{i}")] == [
            start + k * interval for k in range(count)]


def test_months_of_schedule_time_on_the_simulated_clock(sqlite_env: Path) -> None:
    # A clock test, not a store test: SQLite only, through serve() until it is idle.
    store = Store(f"sqlite:///{sqlite_env / 'sundial.db'}")
    clock = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    register(store, "months", cron_expression="0 9 * * *", timezone="America/New_York",
             start_time=datetime(2026, 1, 1, tzinfo=UTC),
             end_time=datetime(2026, 6, 30, tzinfo=UTC))
    svc, ex = service(store, clock, finish_at_once=True)
    svc.serve(exit_when_idle=True, install_signals=False)
    runs = runs_of(store, "months")
    # 09:00 New York time from Jan 1 to Jun 29: 180 days; 14:00 UTC in winter and 13:00 UTC
    # after the change to EDT on March 8.
    assert len(runs) == len(ex.started) == 180
    assert {n.hour for n, _, _ in runs if n.month == 2} == {14}
    assert {n.hour for n, _, _ in runs if n.month == 4} == {13}
    assert Schedules(store, clock).get("months").state == "completed"


def test_a_broken_definition_does_not_stop_the_others(env: tuple[Store, SimulatedClock]) -> None:
    store, clock = env
    register(store, "good", interval_second=HOUR, start_time=clock.now())
    register(store, "bad", interval_second=HOUR, start_time=clock.now())
    bad = Schedules(store).get("bad")
    with store.write() as conn:  # e.g. written by a newer sundial
        conn.execute(t.schedules.update().where(t.schedules.c.id == bad.id)
                     .values(definition='{"schema_version": 99}'))
    svc, _ = service(store, clock, finish_at_once=True)
    svc.step()
    assert len(runs_of(store, "good")) == 1
    with store.read() as conn:
        assert conn.execute(select(t.runs.c.id).where(t.runs.c.schedule_id == bad.id)
                            ).first() is None
        row = conn.execute(select(t.schedules.c.next_fire_at, t.schedules.c.last_nominal_at)
                           .where(t.schedules.c.id == bad.id)).one()
    assert row.next_fire_at == clock.now() + timedelta(minutes=1)
    assert row.last_nominal_at is None  # nothing handled: its ticks are delayed, not lost


def test_chatham_fall_back_through_the_service(env: tuple[Store, SimulatedClock]) -> None:
    # Issue 9, defect 1: from 03:40 (+13:45) on 2027-04-04 the pass never returned, so no
    # schedule fired. Pacific/Chatham goes back at 03:45 (+13:45) = 14:00 UTC to 02:45
    # (+12:45); "*/5 3 * * *" follows real time, so it fires in both passes of hour 3.
    store, _ = env
    clock = SimulatedClock(datetime(2027, 4, 3, 13, 38, tzinfo=UTC))  # 03:38 (+13:45)
    register(store, "chatham", cron_expression="*/5 3 * * *", timezone="Pacific/Chatham",
             start_time=datetime(2027, 4, 4, 3, 41))
    register(store, "other", interval_second=600, start_time=clock.now())
    svc, _ = service(store, clock, finish_at_once=True)
    for _ in range(24):  # every 5 minutes to 15:33 UTC = 04:18 (+12:45)
        svc.step()
        clock.advance(timedelta(minutes=5))
    zone = Schedule(cron_expression="* * * * *", timezone="Pacific/Chatham").zone
    assert [n.astimezone(zone).strftime("%H:%M%z") for n, _, _ in runs_of(store, "chatham")] \
        == [f"03:{m:02d}+1245" for m in range(0, 60, 5)]
    assert len(runs_of(store, "other")) == 12


def test_a_schedule_whose_planning_exceeds_its_budget_is_set_aside(
    env: tuple[Store, SimulatedClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fake slowness: the time core is bounded, so a slow plan is simulated by a fire-time
    iterator that sleeps for one schedule. What it cannot show is a real slow schedule."""
    import sundial.scheduler.plan as plan_module

    real = plan_module.fire_times

    def slow_for_one(schedule: Schedule, after: datetime, **kw: Any) -> Iterator[datetime]:
        for fire in real(schedule, after, **kw):
            if schedule.name == "slow":
                time.sleep(0.4)
            yield fire

    monkeypatch.setattr(plan_module, "fire_times", slow_for_one)
    store, clock = env
    register(store, "slow", interval_second=60, start_time=clock.now(), catchup=True)
    register(store, "quick", interval_second=60, start_time=clock.now(), catchup=True)
    clock.advance(timedelta(minutes=30))
    svc, _ = service(store, clock, finish_at_once=True, plan_budget=timedelta(seconds=1))
    svc.step()
    assert len(runs_of(store, "quick")) == 31
    assert runs_of(store, "slow") == []  # set aside: nothing recorded, nothing lost
    with store.read() as conn:
        row = conn.execute(select(t.schedules.c.next_fire_at, t.schedules.c.last_nominal_at)
                           .where(t.schedules.c.name == "slow")).one()
    assert row.next_fire_at == clock.now() + timedelta(minutes=1)
    assert row.last_nominal_at is None


def test_a_deleted_schedule_stays_describable_and_frees_its_name(
    env: tuple[Store, SimulatedClock]
) -> None:
    # Issue 9, defect 4: after a soft delete nothing could reach the schedule, and its name
    # could not be registered again (the fix hint pointed to `update`, which failed too).
    store, clock = env
    register(store, "gone", interval_second=HOUR, start_time=clock.now())
    svc, _ = service(store, clock, finish_at_once=True)
    svc.step()
    schedules = Schedules(store, clock)
    schedules.delete("gone")
    old = schedules.describe("gone")
    assert old["state"] == "deleted" and len(old["last_runs"]) == 1  # history stays
    for change in (lambda: schedules.update("gone", catchup=True),
                   lambda: schedules.resume("gone"), lambda: schedules.pause("gone"),
                   lambda: schedules.trigger("gone")):
        with pytest.raises(NotFoundError) as refused:
            change()
        assert "'gone' was deleted" in refused.value.headline
        assert "register a new schedule named 'gone'" in refused.value.fix

    register(store, "gone", cron_expression="0 * * * *")  # the name is free again
    assert schedules.describe("gone")["state"] == "active"
    kept = [i for i in schedules.list(include_deleted=True) if i.state == "deleted"]
    assert [i.name for i in kept] == [f"gone~deleted-{old['id'][:8]}"]
    assert len(schedules.describe(kept[0].name)["last_runs"]) == 1

    # A live name is refused with a fix that works.
    with pytest.raises(AlreadyExistsError) as taken:
        register(store, "gone", interval_second=HOUR)
    assert "sundial schedule update gone" in taken.value.fix
    assert schedules.update("gone", catchup=True).schedule.catchup is True
