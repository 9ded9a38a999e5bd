"""A dispatching commit whose answer is lost: the scheduler starts what it claimed.

When the connection drops while the database commits (an outage, a restart), the client sees
an error although the commit happened: the runs it claimed are ``starting`` with this replica
as owner and nobody starts them. The scheduler must start them once the database answers
again, not leave them to the reaper a heartbeat timeout later (the outage test's hang).
The lost answer is simulated by raising after a real commit; what a real socket does at that
moment is covered by test_outage.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection

from sundial import Schedule, pipeline, step
from sundial.errors import StoreUnavailableError
from sundial.scheduler.clock import SimulatedClock
from sundial.scheduler.service import SchedulerService
from sundial.store.records import COMPLETED
from sundial.store.store import Store


@step
def one() -> int:
    return 1


@pipeline
def minutely() -> None:
    one()


class Starts:
    def __init__(self, store: Store) -> None:
        self.store, self.started = store, list[str]()

    def start(self, run_id: str) -> None:
        self.started.append(run_id)
        self.store.update_run(run_id, status=COMPLETED, ended_at=datetime.now(UTC))


def _lose_next_commit_answer(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    real = store.write
    lost: list[bool] = []

    @contextmanager
    def write(*, durable: bool = False) -> Iterator[Connection]:
        with real(durable=durable) as conn:
            yield conn
        if durable and not lost:  # committed; the client is told the connection broke
            lost.append(True)
            raise StoreUnavailableError("cannot use the database: server closed the "
                                        "connection unexpectedly", "check the server")

    monkeypatch.setattr(store, "write", write)


@pytest.mark.parametrize("queued_by", ["tick", "trigger"])
def test_runs_claimed_by_a_commit_in_doubt_are_started_next_pass(
        sundial_env: Path, database_url: str, monkeypatch: pytest.MonkeyPatch,
        queued_by: str) -> None:
    store = Store(database_url)
    clock = SimulatedClock(datetime.now(UTC).replace(second=0, microsecond=0))
    minutely.with_options(schedule=Schedule(name="m", interval_second=60,
                                            start_time=clock.now()))()
    ex = Starts(store)
    svc = SchedulerService(store, clock=clock, executor=ex,
                           heartbeat_timeout=timedelta(days=1))
    if queued_by == "trigger":  # nothing due: the run is claimed by the plain dispatch
        svc.step()
        assert len(ex.started) == 1
        from sundial.scheduler.api import Schedules
        Schedules(store, clock).trigger("m")
    _lose_next_commit_answer(store, monkeypatch)
    with pytest.raises(StoreUnavailableError):
        svc.step()
    before = len(ex.started)
    svc.step()  # the database answers again
    assert len(ex.started) == before + 1, "the claimed run was never started"
    svc.step()
    assert len(ex.started) == before + 1, "a run was started twice"
