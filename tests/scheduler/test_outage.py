"""A database outage under a running scheduler: logged, retried with back-off, no tick lost.

The scheduler talks to PostgreSQL through a TCP relay that the test cuts for a few seconds,
which is what a network partition or a database restart looks like to the client.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from sundial import Schedule, pipeline, step
from sundial.scheduler.service import SchedulerService
from sundial.scheduler.wake import notify_schedulers
from sundial.store import tables as t
from sundial.store.records import COMPLETED
from sundial.store.store import Store


@step
def noop() -> int:
    return 1


@pipeline
def ticking() -> None:
    noop()


class Relay:
    """Forwards 127.0.0.1:<port> to the real server until cut."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = _free_port()
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self.up()

    def up(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                # shutdown() wakes the thread blocked in accept(); close() alone would not.
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FinishAtOnce:
    """Ends each run as soon as it is started and, as a real worker does when its run ends,
    wakes the schedulers of the store (``wake_url``: the one they serve): a queued run
    waiting for the slot then starts at once, not at the next fire time or reap."""

    def __init__(self, store: Store, wake_url: str) -> None:
        self.store, self.wake_url = store, wake_url

    def start(self, run_id: str) -> None:
        self.store.update_run(run_id, status=COMPLETED, ended_at=datetime.now(UTC))
        notify_schedulers(self.wake_url)


@pytest.mark.slow
def test_outage_is_retried_and_loses_no_tick(postgres_url: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SUNDIAL_HOME", str(tmp_path))
    monkeypatch.setenv("SUNDIAL_DATABASE_URL", postgres_url)
    parts = urlsplit(postgres_url.replace("postgresql+psycopg", "postgresql"))
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 5432))
    relayed = postgres_url.replace(f"{parts.hostname}:{parts.port or 5432}",
                                   f"127.0.0.1:{relay.port}")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    ticking.with_options(schedule=Schedule(name="tick", interval_second=1, start_time=start,
                                           end_time=start + timedelta(seconds=9),
                                           catchup=True, overlap="allow"))()
    store = Store(relayed)
    service = SchedulerService(store, executor=FinishAtOnce(Store(postgres_url), relayed),
                               heartbeat_timeout=timedelta(seconds=60))
    stop = threading.Event()
    caplog.set_level(logging.WARNING, logger="sundial.scheduler")
    worker = threading.Thread(target=service.serve,
                              kwargs=dict(exit_when_idle=True, stop=stop,
                                          install_signals=False), daemon=True)
    worker.start()
    try:
        time.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + 2.5)
        relay.cut()  # ticks keep coming due while the database is unreachable
        time.sleep(4)
        relay.up()
        worker.join(timeout=60)
        assert not worker.is_alive(), "the scheduler did not finish after the outage"
    finally:
        stop.set()
        relay.cut()
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    with Store(postgres_url).read() as conn:
        rows = conn.execute(select(t.runs.c.nominal_at, t.runs.c.status)
                            .where(t.runs.c.schedule_id.is_not(None))
                            .order_by(t.runs.c.nominal_at)).all()
    assert [r.nominal_at for r in rows] == [start + timedelta(seconds=k) for k in range(10)]
    assert {r.status for r in rows} == {COMPLETED}
