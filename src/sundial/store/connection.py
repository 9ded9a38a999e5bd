"""The database under the store: the engine, its transactions, and a connection pinned to a
thread for a run's many small transactions.

SQLite runs in WAL mode; write transactions start with ``BEGIN IMMEDIATE`` so that two writers
queue on the database lock instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
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
#: Seconds a SQLite writer waits for the write lock before "database is locked".
BUSY_TIMEOUT = 60.0


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
        # SQLite has one writer at a time: this process's threads queue for it here.
        self._writers = _writer_queue(url)
        self._checkpoints = _Checkpointer(self.engine) if self._writers else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.close()
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

        A durable commit on SQLite never copies the WAL into the database file on its way
        (see :class:`_Checkpointer`): its caller is waiting to dispatch.
        """
        pin = self._pin
        with self._writers or contextlib.nullcontext(), \
                self._write(pin, durable=durable) as conn:
            yield conn
        if durable and self._checkpoints is not None:
            self._checkpoints.committed()

    @contextmanager
    def _write(self, pin: _Pin, *, durable: bool) -> Iterator[Connection]:
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
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours to emit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # per transaction: Database.write(durable=)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
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


_QUEUES: dict[str, _WriterQueue] = {}
_QUEUES_LOCK = threading.Lock()


def _writer_queue(url: str) -> _WriterQueue | None:
    """The queue of this process's writers of the SQLite file at ``url`` (shared by every
    store opened on it); None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    key = str(Path(parsed.database).expanduser().resolve())
    with _QUEUES_LOCK:
        return _QUEUES.setdefault(key, _WriterQueue())


class _WriterQueue:
    """This process's writers of one SQLite database, one at a time, in the order they came.

    SQLite lets one write transaction in at a time, and a writer that finds the lock taken
    polls for it: it sleeps 1, 2, 5, 10 … up to 100 ms between tries and wins only if the
    lock happens to be free when it looks. A thread that writes often (the scheduler, a pass
    every few milliseconds at 300 fires a second, each holding the lock through its fsync)
    then starves the others: a run's end waited up to a second, its schedule's next run
    behind it, and the scheduler itself overslept its own tick by up to twice a writer's
    hold. Here the lock is handed to the longest waiting thread of the process the moment
    it is released. A thread may nest writes (each its own connection, as before; SQLite
    decides between them). A waiter gives up queueing after the busy timeout and leaves it
    to SQLite, as before. Other processes still meet at SQLite's lock.
    """

    def __init__(self, timeout: float = BUSY_TIMEOUT) -> None:
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._waiting: deque[tuple[int, threading.Lock]] = deque()
        self._timeout = timeout

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._mutex:
            if self._owner is None or self._owner == me:
                self._owner = me
                self._depth += 1
                return
            gate = threading.Lock()
            gate.acquire()
            self._waiting.append((me, gate))
        try:
            if gate.acquire(timeout=self._timeout):
                return  # handed over by __exit__, with _owner and _depth set for us
        except BaseException:  # interrupted (KeyboardInterrupt): never leave a dead waiter
            with self._mutex:
                handed = self._owner == me
                if not handed:
                    self._waiting.remove((me, gate))
            if handed:
                self.__exit__()
            raise
        with self._mutex:
            if self._owner == me:  # handed over as the wait timed out
                return
            self._waiting.remove((me, gate))  # not queued: SQLite's busy timeout decides

    def __exit__(self, *exc: object) -> None:
        me = threading.get_ident()
        with self._mutex:
            if self._owner != me:  # entered after a timed-out wait: not ours to release
                return
            self._depth -= 1
            if self._depth:
                return
            if self._waiting:
                self._owner, gate = self._waiting.popleft()
                self._depth = 1
                gate.release()
            else:
                self._owner = None


class _Checkpointer:
    """Copies the WAL into the database file, in a thread of its own, after every
    ``EVERY`` durable commits.

    SQLite does that copy (a checkpoint: the pages written, then an fsync of the database
    file) inside the commit that takes the WAL past 1,000 pages, so one pass of the scheduler
    in a few hundred waited tens of milliseconds in it before dispatching its runs. Durable
    transactions turn that off (``wal_autocheckpoint=0`` while they run, see
    :func:`_do_begin`) and count here instead; a passive checkpoint takes no write lock,
    so passes go on while it runs. Other writers keep SQLite's own checkpoints: a process
    whose durable commits are too few to start the thread still has its WAL copied.
    """

    EVERY = 100

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._count = 0
        self._due = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.done = 0  # checkpoints made

    def committed(self) -> None:
        self._count += 1
        if self._count < self.EVERY or self._closed:
            return
        self._count = 0
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sundial-checkpoint",
                                             daemon=True)
            self._thread.start()
        self._due.set()

    def _run(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._closed:
                return
            try:
                raw = self._engine.raw_connection()
                try:
                    cursor = raw.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    cursor.close()
                finally:
                    raw.close()
                self.done += 1
            except Exception:  # the next checkpoint, ours or SQLite's, copies these pages
                continue

    def close(self) -> None:
        self._closed = True
        self._due.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


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
            # A durable commit leaves checkpoints to _Checkpointer; others to SQLite.
            raw.execute(f"PRAGMA synchronous={level}")
            raw.execute(f"PRAGMA wal_autocheckpoint={0 if durable else 1000}")
            dbapi_conn.info["sundial_synchronous"] = level
    raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")
