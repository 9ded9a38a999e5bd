"""Part [5] of bench/scheduler.py: the CPU of one scheduler pass, and the floor under it.

Part [1] measures CPU per tick with the real clock on a shared machine, where other work moves
the figure. Here the same 1,000 schedules (1–10 s, random phase, ≈ 300 fires/s) are driven by a
``SimulatedClock`` that advances a fixed step before each ``service.step()``: 3.3 ms gives about
one tick per pass (what a scheduler keeping up with 300 fires/s does), 10 ms about three. The
serve thread's CPU per pass and per tick are measured with ``time.thread_time`` around
``step()`` alone (the runs are marked completed between passes, outside the measurement).

The floor is the least a durable pass can cost: one write transaction that takes the write lock
(``BEGIN IMMEDIATE``), changes one row and commits with ``synchronous=FULL`` (the fsync of the
WAL), on a file in the same directory, through the raw ``sqlite3`` module; and the same
transaction through the store (SQLAlchemy, a pinned connection). A pass that handles ``k`` ticks
cannot cost less than the first, so CPU per tick cannot go below floor / k.
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _sched_common import Figure, Report, bench_tick, fresh_home, sqlite_url
from sqlalchemy import select, update

from sundial import Schedule
from sundial.scheduler.clock import SimulatedClock
from sundial.scheduler.service import SchedulerService
from sundial.store import tables as t
from sundial.store.records import COMPLETED
from sundial.store.store import Store


class _Collect:
    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, run_id: str) -> None:
        self.started.append(run_id)


def _passes(workers: Store, service: SchedulerService, clock: SimulatedClock, ex: _Collect,
            step: timedelta, passes: int) -> tuple[float, int]:
    """CPU seconds of ``passes`` steps ``step`` apart, and the ticks they dispatched. The runs
    are ended through ``workers``, a store of its own, as workers in other processes do (on
    the service's store they would share its pool of connections)."""
    cpu, ticks = 0.0, 0
    for _ in range(passes):
        clock.advance(step)
        began = time.thread_time()
        service.step()
        cpu += time.thread_time() - began
        ticks += len(ex.started)
        if ex.started:  # the workers' part, not measured
            with workers.write() as conn:
                conn.execute(update(t.runs).where(t.runs.c.id.in_(ex.started))
                             .values(status=COMPLETED))
            ex.started.clear()
    return cpu, ticks


def _raw_floor(path: str, commits: int, synchronous: str) -> float:
    """CPU seconds per BEGIN IMMEDIATE + one-row UPDATE + COMMIT through ``sqlite3``."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, v INTEGER)")
    db.execute("INSERT OR IGNORE INTO floor VALUES (1, 0)")
    began = time.thread_time()
    for i in range(commits):
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE floor SET v = ? WHERE id = 1", (i,))
        db.execute("COMMIT")
    cpu = (time.thread_time() - began) / commits
    db.close()
    return cpu


def _store_floor(store: Store, commits: int) -> float:
    """The same one-row durable write transaction through the store (a row that exists: a
    transaction that changes nothing writes nothing, and its commit syncs nothing)."""
    with store.read() as conn:
        some = conn.execute(select(t.schedules.c.id).limit(1)).scalar_one()
    with store.pinned():
        began = time.thread_time()
        for i in range(commits):
            with store.write(durable=True) as conn:
                conn.execute(update(t.schedules).where(t.schedules.c.id == some)
                             .values(fired_count=i))
        return (time.thread_time() - began) / commits


def bench_floor(report: Report, *, count: int, passes: int, commits: int) -> None:
    print(f"\n[5] one scheduler pass on a simulated clock ({count:,} schedules, 1–10 s), and "
          "the floor of a durable pass", flush=True)
    rng = random.Random(20240601)
    results: dict[float, tuple[float, int]] = {}
    with fresh_home("floor") as home:
        store = Store(sqlite_url(home))
        anchor = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
        schedules = []
        for i in range(count):
            interval = rng.randint(1, 10)
            schedules.append(Schedule(
                name=f"floor-{i:05d}", interval_second=timedelta(seconds=interval),
                start_time=anchor + timedelta(seconds=rng.uniform(0, interval)),
                timezone="UTC"))
        bench_tick.with_options(orchestrator="local").register_schedules(schedules)
        clock = SimulatedClock(anchor + timedelta(seconds=12))
        ex = _Collect()
        service = SchedulerService(store, clock=clock, executor=ex,
                                   heartbeat_timeout=timedelta(days=1))
        workers = Store(sqlite_url(home))
        _passes(workers, service, clock, ex, timedelta(0), 1)  # the first ticks: not measured
        for step_ms in (3.33, 10.0):
            results[step_ms] = _passes(workers, service, clock, ex,
                                       timedelta(milliseconds=step_ms), passes)
        workers.close()
        store_floor = _store_floor(store, commits)
        raw = {sync: _raw_floor(str(home / "floor.db"), commits, sync)
               for sync in ("FULL", "NORMAL")}
        store.close()
    floor = raw["FULL"]
    figures: list[Any] = []
    for step_ms, (cpu, ticks) in results.items():
        per_pass = cpu / passes * 1000
        per_tick = cpu / max(1, ticks) * 1000
        figures.append(Figure(
            f"[5] CPU per tick, {ticks / passes:.1f} ticks per pass (simulated clock)",
            per_tick, "ms", goal=0.1,
            note=f"{per_pass:.2f} ms CPU per pass ({passes} passes {step_ms:g} ms apart, "
            f"{ticks:,} ticks): {per_pass / (floor * 1000):.0f}x the raw durable floor"))
    figures += [
        Figure("[5] floor: raw sqlite3 durable write transaction, CPU", floor * 1000, "ms",
               note=f"BEGIN IMMEDIATE, a one-row UPDATE, COMMIT with synchronous=FULL "
               f"(fsync); {raw['NORMAL'] * 1000:.3f} ms with NORMAL (no fsync): the fsync "
               f"alone is {(floor - raw['NORMAL']) * 1000:.3f} ms of CPU. At one tick per "
               f"pass, CPU per tick cannot go below this"),
        Figure("[5] the same transaction through the store (SQLAlchemy), CPU",
               store_floor * 1000, "ms",
               note=f"{store_floor / floor:.1f}x the raw floor: a pinned connection, "
               "write(durable=True), one Core UPDATE"),
    ]
    report.add(*figures)
