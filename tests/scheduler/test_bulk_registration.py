"""Registering many schedules at once (``Pipeline.register_schedules``), on SQLite and
PostgreSQL: one transaction, all or none, and the schedules fire like any other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sundial import AlreadyExistsError, Client, Schedule, pipeline, step
from sundial.errors import ParameterError
from sundial.scheduler.clock import SimulatedClock
from sundial.scheduler.service import SchedulerService
from sundial.store.store import Store


@step
def ping(n: int = 1) -> int:
    return n


@pipeline
def fleet(n: int = 1) -> None:
    ping(n=n)


class Starts:
    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, run_id: str) -> None:
        self.started.append(run_id)


def test_many_schedules_in_one_go_fire_like_others(sundial_env: Path,
                                                   database_url: str) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    # The unnamed cron fires half an hour from now's minute, never by `start`: an "0 * * * *"
    # registered in an hour's last minute would have its first tick due too.
    hourly = f"{(start.minute + 30) % 60} * * * *"
    infos = fleet.register_schedules(
        [Schedule(name=f"f-{i}", interval_second=60, start_time=start, timezone="UTC")
         for i in range(3)] + [Schedule(cron_expression=hourly, timezone="UTC")], n=7)
    assert [i.name for i in infos[:3]] == ["f-0", "f-1", "f-2"]
    assert infos[3].name.startswith("fleet-") and infos[0].next_fire_at == start
    assert {i.record.params["n"] for i in infos} == {7}
    store = Store(database_url)
    starts = Starts()
    SchedulerService(store, clock=SimulatedClock(start), executor=starts).step()
    assert len(starts.started) == 3  # the three interval schedules' first ticks
    assert {s.name for s in Client().schedules.list()} >= {"f-0", "f-1", "f-2"}


def test_a_taken_name_records_none_of_the_batch(sundial_env: Path) -> None:
    fleet.register_schedules([Schedule(name="taken", interval_second=60)])
    with pytest.raises(AlreadyExistsError, match="taken"):
        fleet.register_schedules([Schedule(name="new-1", interval_second=60),
                                  Schedule(name="taken", interval_second=60)])
    names = {s.name for s in Client().schedules.list()}
    assert "new-1" not in names
    with pytest.raises(ParameterError, match="more than once"):
        fleet.register_schedules([Schedule(name="twin", interval_second=60)] * 2)


def test_a_deleted_schedule_gives_up_its_name(sundial_env: Path) -> None:
    fleet.register_schedules([Schedule(name="old", interval_second=60)])
    Client().schedules.delete("old")
    (info,) = fleet.register_schedules([Schedule(name="old", interval_second=120)])
    assert info.name == "old" and info.state == "active"
