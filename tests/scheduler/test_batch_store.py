"""The set-based statements of a scheduler pass against the rules they replace.

Runs start in one statement (a window over each schedule's queued runs) where they were once
walked in Python, one schedule at a time; the walk is kept here as the oracle. A batch of
schedules records its ticks and runs with one insert each, and must still count, per schedule,
only the runs it created (exactly once: another replica may have made some already).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from sundial import Schedule, pipeline, step
from sundial.scheduler.api import Schedules
from sundial.store import tables as t
from sundial.store.records import QUEUED, RUNNING
from sundial.store.schedule_store import ScheduleStore
from sundial.store.store import Store
from sundial.store.tick_records import NewTick


@step
def one() -> int:
    return 1


@pipeline
def daily(n: int = 0) -> None:
    one()


def _oracle(busy: int, limit: int, bypass: list[bool], later: list[bool]) -> list[int]:
    """The walk the statement replaces: oldest first, every started run takes a slot; a run
    whose jitter holds it back (``later``) is not startable and takes none."""
    taken, chosen = busy, []
    for i, flag in enumerate(bypass):
        if later[i]:
            continue
        if flag or taken < limit:
            taken += 1
            chosen.append(i)
    return chosen


@pytest.fixture
def rows(sundial_env: Path, database_url: str) -> tuple[Store, ScheduleStore]:
    store = Store(database_url)
    return store, ScheduleStore(store)


def _schedule(store: Store, name: str, max_active: int, n: int = 0) -> str:
    # Far in the future: the scheduler would not tick it; its runs are made by the test.
    daily.with_options(schedule=Schedule(
        name=name, interval_second=86_400, max_active_runs=max_active,
        start_time=datetime.now(UTC) + timedelta(days=30)))(n=n)
    return Schedules(store).get(name).id


@pytest.mark.parametrize("seed", range(6))
def test_runs_start_as_the_walk_over_queued_runs_decides(
        rows: tuple[Store, ScheduleStore], seed: int) -> None:
    store, schedules = rows
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    expected: dict[str, list[datetime]] = {}
    for k in range(5):
        limit, busy = rng.randint(1, 3), rng.randint(0, 3)
        # Backlogs longer than the free slots, so the statement stops walking before the end.
        bypass = [rng.random() < 0.3 for _ in range(rng.randint(0, 12))]
        later = [rng.random() < 0.2 for _ in bypass]
        schedule_id = _schedule(store, f"s{seed}-{k}", limit)
        rec = schedules.get(schedule_id)
        base = now - timedelta(days=1, minutes=k)
        with store.write() as conn:
            schedules.record_ticks(conn, rec, [
                NewTick(base + timedelta(seconds=i), True, "live", bypass_limit=False)
                for i in range(busy)], now)
            conn.execute(update(t.runs).where(t.runs.c.schedule_id == schedule_id)
                         .values(status=RUNNING))
            queued = [base + timedelta(seconds=busy + i) for i in range(len(bypass))]
            schedules.record_ticks(conn, rec, [
                NewTick(nominal, True, "live", bypass_limit=flag,
                        not_before=now + timedelta(minutes=5) if held else None)
                for nominal, flag, held in zip(queued, bypass, later, strict=True)], now)
        expected[schedule_id] = [queued[i] for i in _oracle(busy, limit, bypass, later)]
    started = schedules.claim_runs_to_start(now, "me")
    with store.read() as conn:
        got = conn.execute(select(t.runs.c.id, t.runs.c.schedule_id, t.runs.c.nominal_at)
                           .where(t.runs.c.id.in_(started))).all()
    by_schedule: dict[str, list[datetime]] = {sid: [] for sid in expected}
    for row in got:
        by_schedule[row.schedule_id].append(row.nominal_at)
    assert {k: sorted(v) for k, v in by_schedule.items()} == expected
    # Oldest tick first.
    nominal_of = {row.id: row.nominal_at for row in got}
    assert [nominal_of[i] for i in started] == sorted(nominal_of.values())
    assert schedules.claim_runs_to_start(now, "me") == []  # nothing starts twice


def test_a_batch_counts_only_the_runs_it_created_per_schedule(
        rows: tuple[Store, ScheduleStore]) -> None:
    store, schedules = rows
    now = datetime.now(UTC).replace(microsecond=0)
    a, b, c = (schedules.get(_schedule(store, name, 1, n)) for n, name in enumerate("abc"))
    ticks = [now - timedelta(minutes=m) for m in (3, 2, 1)]
    with store.write() as conn:  # another replica made a's second run already
        assert schedules.record_ticks(conn, a, [NewTick(ticks[1], True, "live")], now) == 1
    with store.write() as conn:
        created = schedules.record_batch(conn, [
            (a, [NewTick(n, True, "live") for n in ticks]),
            (b, [NewTick(n, True, "live") for n in ticks]),
            (c, [NewTick(ticks[0], False, "overlap_skip")]),
        ], now)
    assert created == [2, 3, 0]
    with store.read() as conn:
        made = conn.execute(select(t.runs.c.schedule_id, t.runs.c.params)
                            .where(t.runs.c.status == QUEUED)).all()
    assert sorted((row.schedule_id, row.params["n"]) for row in made) == sorted(
        [(a.id, 0)] * 3 + [(b.id, 1)] * 3)  # each run has its own schedule's parameters
    assert schedules.tick_counts(c.id) == {"skipped:overlap_skip": 1}
