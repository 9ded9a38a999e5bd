"""A worker process runs one scheduled run: ``python -m sundial.scheduler.worker RUN_ID``.

Each run gets its own process, so a pipeline that crashes, leaks or hangs never takes the
scheduler down. The worker takes the run from ``starting`` to ``running`` (exactly one worker
can), loads the pipeline from the code reference stored with its version, and executes it with
the same runner as a local run, heartbeating all along.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import traceback
from types import FrameType

from sqlalchemy import update

from sundial.config import Settings
from sundial.engine.artifacts import ArtifactStore
from sundial.engine.loader import load_pipeline_from_source
from sundial.engine.runner import RunCancelled, execute_run
from sundial.errors import SundialError
from sundial.scheduler.wake import notify_schedulers
from sundial.store import tables as t
from sundial.store.records import FAILED, RUNNING, STARTING
from sundial.store.store import Store, utcnow


def _take(store: Store, run_id: str) -> bool:
    with store.write() as conn:
        return bool(conn.execute(update(t.runs).where(
            t.runs.c.id == run_id, t.runs.c.status == STARTING).values(
            status=RUNNING, worker_pid=os.getpid(), worker_host=socket.gethostname(),
            heartbeat_at=utcnow())).rowcount)


def _cancel(_signum: int, _frame: FrameType | None) -> None:
    raise RunCancelled()


def run_worker(run_id: str) -> int:
    settings = Settings.from_env()
    store = Store(settings.database_url)
    try:
        if not _take(store, run_id):
            print(f"run {run_id} is not waiting to start; another worker has it", file=sys.stderr)
            return 0
        run = store.get_run(run_id)
        with store.read() as conn:
            row = conn.execute(t.runs.select().where(t.runs.c.id == run_id)).one()
        _spec, source = store.version_source(row.version_id)
        try:
            pipeline = load_pipeline_from_source(source)
            graph = pipeline.trace(dict(run.params))
        except BaseException as err:
            # The headline first (what `runs show` and the scheduler's log print), then a fix
            # that fits a scheduled run (not the CLI's TARGET syntax), then the traceback.
            what = err.headline if isinstance(err, SundialError) \
                else f"{type(err).__name__}: {err}"
            where = source.get("file") or source.get("module") or "its recorded source"
            store.update_run(run_id, status=FAILED, ended_at=utcnow(), error=(
                f"could not load pipeline '{run.pipeline}' from {where}: {what}\n"
                "Fix: runs load the pipeline from where it was registered; put the code back "
                "there, or register the schedule again from where it now lives\n"
                f"{traceback.format_exc()}"))
            return 1
        signal.signal(signal.SIGTERM, _cancel)
        enable_cache = None if row.enable_cache is None else bool(row.enable_cache)
        status = execute_run(store, ArtifactStore(settings.artifact_uri), run_id, graph,
                             enable_cache=enable_cache, pipeline=pipeline,
                             on_cancel=lambda: os.kill(os.getpid(), signal.SIGTERM))
        return 0 if status != FAILED else 1
    except RunCancelled:
        return 0
    finally:
        notify_schedulers(settings.database_url)  # a slot is free: queued runs may start
        store.close()


if __name__ == "__main__":
    sys.exit(run_worker(sys.argv[1]))
