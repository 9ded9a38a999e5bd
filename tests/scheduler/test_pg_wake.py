"""Wake-ups across machines on PostgreSQL (LISTEN/NOTIFY).

"Another machine" is a child process whose temporary folder differs from the scheduler's: the
Unix sockets of ``wake.py`` live there, so the child cannot reach the scheduler through them
and only the database's NOTIFY can. What this cannot show: a real network between two hosts
(both ends use the same server over loopback).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sundial import Schedule, pipeline, step
from sundial.scheduler.service import IDLE_WAIT_SECONDS, SchedulerService
from sundial.store.pg_notify import PgWakeListener, channel
from sundial.store.store import Store

pytestmark = pytest.mark.postgres


@step
def noop() -> None:
    pass


@pipeline
def far_off() -> None:
    noop()


def _as_another_machine(tmp_path: Path, database_url: str, code: str) -> str:
    """Run ``code`` in a child that shares only the database with this process; its output."""
    elsewhere = tmp_path / "elsewhere-tmp"
    elsewhere.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(elsewhere), "SUNDIAL_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60,
                          cwd=Path(__file__).parents[2], capture_output=True,
                          text=True).stdout


def _notify_code(database_url: str) -> str:
    return ("from sundial.scheduler.wake import notify_schedulers; "
            f"notify_schedulers({database_url!r})")


def _listening(database_url: str) -> bool:
    from urllib.parse import parse_qs, urlsplit

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    name = parse_qs(urlsplit(database_url).query)["application_name"][0]
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                "AND query LIKE 'LISTEN %'"), {"name": name}).scalar())
    finally:
        engine.dispose()


def test_a_notify_from_another_machine_wakes_a_listener_of_the_same_store_only(
        tmp_path: Path, postgres_url: str) -> None:
    woken = threading.Event()
    listener = PgWakeListener(postgres_url, woken)
    try:
        assert listener.listening.wait(10)
        other_schema = postgres_url.replace("search_path%3Dt_", "search_path%3Dother_")
        assert channel(other_schema) != channel(postgres_url)
        _as_another_machine(tmp_path, postgres_url, _notify_code(other_schema))
        # The other store's NOTIFY has been committed by the time the child exits; a listener
        # polls its connection every second, so 2 s is ample for a delivery that should not
        # happen.
        assert not woken.wait(2.0)
        _as_another_machine(tmp_path, postgres_url, _notify_code(postgres_url))
        assert woken.wait(10), "the NOTIFY of the listener's own store did not arrive"
    finally:
        listener.close()


def test_a_run_triggered_on_another_machine_starts_without_waiting_for_the_next_tick(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> None:
    monkeypatch.setenv("SUNDIAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SUNDIAL_DATABASE_URL", postgres_url)
    # A schedule whose first tick is days away: the scheduler sleeps its idle wait (minutes).
    far_off.with_options(schedule=Schedule(
        name="far-off", interval_second=timedelta(days=1),
        start_time=datetime.now(UTC) + timedelta(days=3)))()
    assert IDLE_WAIT_SECONDS >= 60
    store = Store(postgres_url)
    started: list[str] = []

    class Records:
        def start(self, run_id: str) -> None:
            started.append(run_id)

    service = SchedulerService(store, executor=Records())  # type: ignore[arg-type]
    passes: list[datetime | None] = []
    first_pass = threading.Event()
    step = service.step

    def counted_step() -> datetime | None:
        passes.append(next_at := step())
        first_pass.set()
        return next_at

    service.step = counted_step  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=service.serve,
                              kwargs={"stop": stop, "install_signals": False}, daemon=True)
    thread.start()
    try:
        # Asleep after its first pass, with its LISTEN in place (its connection's last
        # statement; the test's connections carry the schema as application_name).
        assert first_pass.wait(20)
        deadline = time.monotonic() + 20
        while not _listening(postgres_url) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _listening(postgres_url)
        assert started == [] and len(passes) == 1
        run_id = _as_another_machine(tmp_path, postgres_url, (
            "from sundial.scheduler.api import Schedules; from sundial.store.store import "
            f"Store; print(Schedules(Store({postgres_url!r})).trigger('far-off'))"))
        deadline = time.monotonic() + 15
        while not started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(started) == 1, "the triggered run waited for the scheduler's next wake-up"
        assert started == [run_id.strip()]
        assert len(passes) >= 2  # started by a pass the NOTIFY woke, not by the first
    finally:
        stop.set()
        from sundial.scheduler.wake import notify_schedulers

        notify_schedulers(postgres_url)
        thread.join(30)
        store.close()
