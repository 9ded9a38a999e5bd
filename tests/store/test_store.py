"""The store itself, on SQLite and PostgreSQL: schema, migrations, concurrency, errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from sundial.errors import StoreUnavailableError
from sundial.store import tables
from sundial.store.store import Store


def test_head_constant_matches_the_migration_chain() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location",
                        str(Path(tables.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_heads() == [tables.SCHEMA_HEAD]


def test_migrations_create_the_tables_the_code_uses(database_url: str) -> None:
    store = Store(database_url)
    assert store.schema_revision() == tables.SCHEMA_HEAD
    found = set(inspect(store.engine).get_table_names())
    assert set(tables.metadata.tables) <= found
    for name, table in tables.metadata.tables.items():
        columns = {c["name"] for c in inspect(store.engine).get_columns(name)}
        assert {c.name for c in table.columns} == columns, name
    Store(database_url)  # opening again is a no-op
    store.close()


def _open_at_once(url: str, threads: int) -> list[BaseException]:
    """Open (and close) the store at ``url`` from ``threads`` threads at once; their errors."""
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            Store(url).close()
        except BaseException as err:
            errors.append(err)

    started = [threading.Thread(target=open_store) for _ in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join()
    return errors


def test_concurrent_first_opens_migrate_once(database_url: str) -> None:
    assert _open_at_once(database_url, 4) == []
    assert Store(database_url).schema_revision() == tables.SCHEMA_HEAD


def test_threads_opening_new_sqlite_files_at_once_never_see_a_lock(tmp_path: Path) -> None:
    # Each switching a new file to WAL while another began a transaction could deadlock, and
    # SQLite answered "database is locked" at once (seen in 1 of 20 rounds on a busy machine).
    for round_ in range(10):
        url = f"sqlite:///{tmp_path / f'r{round_}' / 'sundial.db'}"
        assert _open_at_once(url, 6) == [], round_


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_unreachable_database_names_url_without_password() -> None:
    with pytest.raises(StoreUnavailableError) as info:
        Store("postgresql+psycopg://bob:hunter2@127.0.0.1:1/db")
    assert "bob:***@127.0.0.1:1/db" in info.value.headline
    assert "hunter2" not in str(info.value)
    assert info.value.fix


def test_run_lookup_by_prefix(database_url: str) -> None:
    from sundial.errors import NotFoundError

    store = Store(database_url)
    pid, vid = store.pipeline_version("p", "h", {"steps": []}, {"qualname": "p"})
    store.create_run(run_id="abc-1", pipeline_id=pid, version_id=vid, params={},
                     status="running")
    store.create_run(run_id="abd-2", pipeline_id=pid, version_id=vid, params={},
                     status="running")
    assert store.get_run("abc").id == "abc-1"
    with pytest.raises(NotFoundError, match="more than one"):
        store.get_run("ab")
    with pytest.raises(NotFoundError, match="no run with id"):
        store.get_run("zz")
    with pytest.raises(NotFoundError):
        store.get_run("a%")  # LIKE wildcards are escaped


def _store_with_run(url: str) -> Store:
    store = Store(url)
    pid, vid = store.pipeline_version("p", "h", {}, {})
    store.create_run(run_id="r1", pipeline_id=pid, version_id=vid, params={}, status="queued")
    return store


def test_deferred_writes_commit_with_the_next_write_or_read(database_url: str) -> None:
    """A write deferred on a pinned connection is seen by the next read of that thread, goes
    in with the next write, and is committed when the pinned block ends at the latest."""
    store = _store_with_run(database_url)
    other = Store(database_url)
    with store.pinned():
        store.defer_run_update("r1", status="running")
        assert other.get_run("r1").status == "queued"  # not committed yet
        assert store.get_run("r1").status == "running"  # a read commits it first
        store.defer_run_update("r1", status="failed")
        sr = store.start_step_run(run_id="r1", name="a", step="a", position=0,
                                  status="running")
        assert other.get_run("r1").status == "failed"  # went in with the write
        store.finish_step_run(sr, status="completed", defer=True)
    assert other.get_run("r1").steps["a"].status == "completed"  # the block's end
    store.close()
    other.close()


def test_a_failed_write_keeps_the_deferred_ones(database_url: str) -> None:
    """A transaction that fails rolls back what was deferred into it; those writes stay
    queued and commit with the next one, so a caller's caught error loses nothing."""
    store = _store_with_run(database_url)
    with store.pinned():
        store.defer_run_update("r1", status="running")
        store.start_step_run(run_id="r1", name="a", step="a", position=0, status="running")
        store.defer_run_update("r1", status="completed")
        with pytest.raises(IntegrityError):  # the same step name twice
            store.start_step_run(run_id="r1", name="a", step="a", position=1, status="running")
    assert store.get_run("r1").status == "completed"
    store.close()


def test_sqlite_durable_writes_sync_at_commit(tmp_path: Path) -> None:
    """A durable transaction commits with synchronous=FULL (the WAL fsynced), the others with
    NORMAL; the level follows each transaction on the same pooled connection."""
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    levels = []
    for durable in (True, False, True, True, False):
        with store.write(durable=durable) as conn:
            levels.append(conn.exec_driver_sql("PRAGMA synchronous").scalar())
    assert levels == [2, 1, 2, 2, 1]  # 2 = FULL, 1 = NORMAL
    store.close()


def test_sqlite_durable_commits_leave_the_checkpoint_to_a_thread(tmp_path: Path) -> None:
    """A durable commit never copies the WAL into the file on its way (its caller waits to
    dispatch): automatic checkpoints are off while it runs, back on for the others, and
    after enough durable commits a thread of the store copies the WAL."""
    from sundial.store.connection import _Checkpointer

    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    seen = []
    for durable in (True, False, True):
        with store.write(durable=durable) as conn:
            seen.append(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar())
    assert seen == [0, 1000, 0]
    store.pipeline_version("p", "h", {}, {})
    with store.pinned():
        for _ in range(_Checkpointer.EVERY):
            with store.write(durable=True) as conn:
                conn.execute(tables.pipelines.update().values(name="p"))
    checkpointer = store._checkpoints
    assert checkpointer is not None and checkpointer._thread is not None
    for _ in range(500):
        if checkpointer.done:
            break
        threading.Event().wait(0.01)
    assert checkpointer.done == 1
    store.close()
    assert not checkpointer._thread.is_alive()


def test_sqlite_writers_of_one_process_take_turns_in_order(tmp_path: Path) -> None:
    """Threads of one process waiting to write get the lock in the order they came, the
    moment it is released (SQLite alone would have them poll for it, and a thread that
    writes again at once could keep the others out); a thread may nest writes."""
    from sundial.store.connection import _WriterQueue

    queue = _WriterQueue()
    order: list[str] = []
    queue.__enter__()
    queue.__enter__()  # nested in the same thread
    threads = []
    for name in "abc":
        thread = threading.Thread(target=lambda n=name: (queue.__enter__(), order.append(n),
                                                         queue.__exit__()))
        thread.start()
        threads.append(thread)
        while len(queue._waiting) < len(threads):  # queued before the next one comes
            threading.Event().wait(0.001)
    queue.__exit__()
    assert order == []  # the outer write still holds it
    queue.__exit__()
    for thread in threads:
        thread.join(10)
    assert order == ["a", "b", "c"]
    assert queue._owner is None

    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    other = Store(f"sqlite:///{tmp_path / 'x.db'}")
    assert store._writers is other._writers  # one queue per file in a process
    store.close()
    other.close()


def test_a_writer_interrupted_while_queued_leaves_the_queue() -> None:
    """A thread interrupted while it waits its turn (Ctrl-C in a notebook) is not handed the
    lock later: the next writers still get it at once."""
    import signal

    from sundial.store.connection import _WriterQueue

    queue = _WriterQueue()
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with queue:
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        with pytest.raises(KeyboardInterrupt), queue:  # the main thread, as Ctrl-C does
            pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not queue._waiting
    release.set()
    thread.join(10)
    assert queue._owner is None
    with queue:
        assert queue._owner == threading.get_ident()
