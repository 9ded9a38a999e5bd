"""Wake-ups between machines on PostgreSQL: LISTEN/NOTIFY, for the scheduler's wake-ups.

The Unix sockets of :mod:`sundial.scheduler.wake` reach the schedulers of this machine only.
Replicas and clients elsewhere (a worker pod ending a run, a dashboard triggering one, a
laptop registering a schedule) share nothing with a scheduler but the database: on PostgreSQL
each scheduler also LISTENs on a channel named after the database and schema it serves, and
every wake-up is also a NOTIFY there. Best effort like the sockets: a scheduler that misses one
still wakes at its next due time, so nothing depends on it but latency. (Here, in the store,
since only the store talks to the database.)
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger("sundial.scheduler")

#: How often a listener looks up from its connection to see whether it was closed.
POLL_SECONDS = 1.0
#: The longest wait before reconnecting after the database went away.
MAX_BACKOFF_SECONDS = 30.0

#: libpq waits for an unreachable server forever by default; a wake-up is not worth that.
_CONNECT = {"connect_timeout": 5}

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


def channel(database_url: str) -> str:
    """The channel of the store at ``database_url``: one per database and search path, so
    that stores in other schemas of one database (or other databases of one server) do not
    wake each other's schedulers. Host and credentials are left out: a client and a scheduler
    reaching one database by different names still meet."""
    url = make_url(database_url)
    key = f"{url.database}\0{url.query.get('options', '')}"
    return "sundial_wake_" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _engine(database_url: str) -> Engine:
    # Without a pool: a wake-up follows a change a person or a worker made, seldom enough for a
    # connection each, and a process that touches many stores keeps no connection to any.
    with _engines_lock:
        engine = _engines.get(database_url)
        if engine is None:
            engine = create_engine(database_url, poolclass=NullPool,
                                   isolation_level="AUTOCOMMIT", connect_args=_CONNECT)
            _engines[database_url] = engine
        return engine


def notify(database_url: str) -> bool:
    """NOTIFY the schedulers of this store wherever they run; False if the store is not on
    PostgreSQL or the database could not be reached (the caller's change is committed
    already: the wake-up only saves latency)."""
    if not is_postgres(database_url):
        return False
    try:
        with _engine(database_url).connect() as conn:
            conn.execute(text(f"NOTIFY {channel(database_url)}"))
        return True
    except (SQLAlchemyError, OSError) as err:
        log.debug("wake-up by NOTIFY failed: %s", err)
        return False


def listener(database_url: str, event: threading.Event) -> PgWakeListener | None:
    """A :class:`PgWakeListener` for a store on PostgreSQL; None for others."""
    return PgWakeListener(database_url, event) if is_postgres(database_url) else None


class PgWakeListener:
    """Sets ``event`` whenever a NOTIFY for this store arrives. Its own connection, in
    autocommit, LISTENs; when the database goes away it reconnects with backoff and then sets
    ``event`` once, since a wake-up may have been missed meanwhile."""

    def __init__(self, database_url: str, event: threading.Event) -> None:
        self._url = database_url
        self._channel = channel(database_url)
        self._event = event
        self._closed = threading.Event()
        # Each listener connects once and holds its connection: no pool to keep.
        self._engine = create_engine(database_url, poolclass=NullPool, connect_args=_CONNECT)
        #: Set once the first LISTEN is in place (tests wait for it).
        self.listening = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sundial-pg-wake", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        backoff = 0.5
        while not self._closed.is_set():
            try:
                self._listen()
                backoff = 0.5
            except Exception as err:  # any failure: reconnect, never die
                if self._closed.is_set():
                    return
                log.debug("LISTEN on %s failed (%s); retrying in %.1fs", self._channel, err,
                          backoff)
                self._closed.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _listen(self) -> None:
        fairy = self._engine.raw_connection()
        try:
            conn: Any = fairy.dbapi_connection  # a psycopg Connection
            conn.autocommit = True
            conn.execute(f"LISTEN {self._channel}")
            if self.listening.is_set():
                self._event.set()  # back after an outage: look again
            self.listening.set()
            while not self._closed.is_set():
                for _ in conn.notifies(timeout=POLL_SECONDS):
                    self._event.set()
        finally:
            fairy.invalidate()  # never back to a pool: LISTEN state stays with it

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=POLL_SECONDS * 3)
        self._engine.dispose()
