"""The database under the store: the engine, its transactions, and a connection pinned to a
thread for a run's many small transactions.

SQLite runs in WAL mode; write transactions start with ``BEGIN IMMEDIATE`` so that two writers
queue on the database lock instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection as Connection  # re-exported: the type callers annotate with
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from sundial.errors import StoreUnavailableError

#: What a database outage looks like to a caller that retries (the scheduler's loop): our own
#: error when a connection cannot be had, and any driver error raised mid-statement (a cut
#: connection, a restarted server). Callers catch this tuple instead of SQLAlchemy's classes.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (StoreUnavailableError, DBAPIError)


class _Pin(threading.local):
    """A thread's pinned connection (see :meth:`Store.pinned`) and its deferred writes."""

    def __init__(self) -> None:
        self.conn: Connection | None = None
        self.depth = 0
        self.deferred: list[Callable[[Connection], Any]] = []


class Database:
    """An engine and its transactions; :class:`~sundial.store.store.Store` adds the records."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.safe_url = make_url(url).render_as_string(hide_password=True)
        self.engine = _make_engine(url)
        self._pin = _Pin()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self, *, durable: bool = False) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite). On a pinned connection it
        carries the writes deferred so far, before the caller's.

        ``durable``: the commit survives a machine crash or power loss, not only a crash of
        the process. On SQLite that is ``synchronous=FULL`` for this transaction (the WAL is
        fsynced at its commit, and with it every earlier commit); other transactions run
        with ``NORMAL`` (fsync at checkpoints only). PostgreSQL commits are durable already
        (``synchronous_commit`` on, its default). See docs/scheduler.md, "Durability".
        """
        pin = self._pin
        try:
            if pin.conn is None:
                with self.engine.connect() as conn:
                    _next_begin(write=True, durable=durable)
                    with conn.begin():
                        yield conn
                return
            conn = pin.conn
            _next_begin(write=True, durable=durable)
            deferred, pin.deferred = pin.deferred, []
            try:
                with conn.begin():
                    for apply in deferred:
                        apply(conn)
                    yield conn
            except BaseException:
                pin.deferred[:0] = deferred  # rolled back with the caller's: keep them queued
                raise
        except OperationalError as err:
            raise self._unavailable(err) from err

    @contextmanager
    def read(self) -> Iterator[Connection]:
        pin = self._pin
        try:
            if pin.conn is None:
                with self.engine.connect() as conn, conn.begin():
                    yield conn
                return
            if pin.deferred:  # what is read must include what was written
                with self.write():
                    pass
            conn = pin.conn
            with conn.begin():
                yield conn
        except OperationalError as err:
            raise self._unavailable(err) from err

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Use one connection for this thread's transactions while the block runs.

        A run makes a few small transactions per step; checking a connection out of the pool
        and resetting it on return cost SQLAlchemy about as much as the transaction itself
        (and a round trip per check-out on PostgreSQL, whose pool pings). Writes deferred with
        :meth:`defer` are committed by the next transaction, at the latest when the block ends.
        """
        pin = self._pin
        if pin.conn is not None:
            pin.depth += 1
            try:
                yield
            finally:
                pin.depth -= 1
            return
        try:
            pin.conn = self.engine.connect()
        except OperationalError as err:
            raise self._unavailable(err) from err
        try:
            yield
        finally:
            try:
                if pin.deferred:
                    with self.write():
                        pass
            finally:
                conn, pin.conn, pin.deferred = pin.conn, None, []
                conn.close()

    def defer(self, apply: Callable[[Connection], Any]) -> None:
        """Run ``apply(conn)`` in the next write transaction of this thread's pinned
        connection (at once, in its own transaction, when none is pinned). For a write that
        must commit soon but need not commit alone: a step's end goes with the next step's
        start, one commit instead of two, with no user code in between."""
        if self._pin.conn is None:
            with self.write() as conn:
                apply(conn)
        else:
            self._pin.deferred.append(apply)

    def _unavailable(self, err: Exception) -> StoreUnavailableError:
        reason = str(getattr(err, "orig", err)).strip().splitlines()[0]
        return StoreUnavailableError(
            f"cannot use the database at {self.safe_url}: {reason}",
            "check that the server is running and SUNDIAL_DATABASE_URL is right "
            "(or unset it to use the local SQLite file)",
        )


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        _ensure_wal(path)
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours to emit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # per transaction: Database.write(durable=)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()
        record.info["sundial_synchronous"] = "NORMAL"

    # BEGIN is emitted by the dialect's do_begin rather than a "begin" event: any connection
    # event listener makes SQLAlchemy dispatch events around every statement, about a third
    # more work per statement (the scheduler's passes and the steps' writes run many).
    engine.dialect.do_begin = _do_begin  # type: ignore[method-assign, assignment]
    return engine


def _ensure_wal(path: Path) -> None:
    """Put a new SQLite file in WAL mode once, under a file lock. Switching the journal mode
    takes an exclusive lock; connections of several threads or processes opening a new file at
    once, each switching it while another starts a transaction, can deadlock, and SQLite then
    answers "database is locked" at once instead of waiting. Once in WAL mode (it persists in
    the file), each connection's own ``PRAGMA journal_mode=WAL`` changes nothing.

    The file is never opened here but through SQLite: closing any other descriptor of it would
    drop the POSIX locks SQLite holds on it in this process, and corrupt it."""
    import fcntl
    import sqlite3

    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        raw = sqlite3.connect(path, timeout=60)
        try:
            raw.execute("PRAGMA journal_mode=WAL")
        finally:
            raw.close()


class _Begin(threading.local):
    """How this thread's next SQLite BEGIN starts: set just before ``begin()``, used once."""

    write = False
    durable = False


_begin = _Begin()


def _next_begin(*, write: bool, durable: bool) -> None:
    """Say how the next BEGIN of this thread starts (SQLite; see :func:`_do_begin`). Kept
    off the connection: reaching its DBAPI connection before ``begin()`` would reconnect an
    invalidated one outside SQLAlchemy's error handling."""
    _begin.write, _begin.durable = write, durable


def _do_begin(dbapi_conn: Any) -> None:
    """SQLite's BEGIN: ``BEGIN IMMEDIATE`` for a write transaction, with its commit's sync
    level (set only when it changes on this connection); a plain ``BEGIN`` for anything else,
    including a connection not opened by :class:`Database` (the mode is used once)."""
    write, durable = _begin.write, _begin.durable
    _begin.write = _begin.durable = False
    raw = dbapi_conn.dbapi_connection
    if write:
        level = "FULL" if durable else "NORMAL"
        if dbapi_conn.info.get("sundial_synchronous") != level:
            raw.execute(f"PRAGMA synchronous={level}")
            dbapi_conn.info["sundial_synchronous"] = level
    raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")
