#!/usr/bin/env python3
"""How fast are the dashboard's pages with a busy store? The schedules and runs pages (and the
fragments and API lists behind them) with 10,000 runs and 1,000 schedules on SQLite.

The store is filled once: one real pipeline run gives the pipeline and its version, schedules
go in through ``ScheduleStore.insert`` (cron and interval, several zones), runs (two steps each,
85 % completed, 10 % failed, the rest running or queued) and skipped ticks are bulk-inserted
into the tables for set-up speed. Then the real server (``sundial.server.serve``, uvicorn) runs
in a thread and each page is fetched over loopback ``--repeat`` times.

Figures per page: the **server time** (the app's own ``Server-Timing`` header: routing, store
queries and rendering, not the network), its median and p95; the CPU time the request took
(server and client share this process, so this is the cost of a page on an idle machine, where
wall times on a shared one also count waiting for a core); the wall time seen by the client;
and the **page weight** (bytes of HTML or JSON as sent, and gzipped, as a proxy would serve it;
plus the page's script and stylesheet, fetched once). Goal: median server time under 100 ms.
No peer dashboard is installed here (Airflow's and Dagster's webservers need services this
bench does not start), so figures are shown as ratios to the goal.

    .venv/bin/python bench/ui.py [--smoke] [--runs N] [--schedules N] [--repeat N] [--json F]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

GOAL_MS = 100.0
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
TOKEN = "bench-token"


def seed(n_schedules: int, n_runs: int) -> tuple[Any, str, str]:
    """Fill the store SUNDIAL_HOME names; returns (store, a schedule name, a failed run id)."""
    from sqlalchemy import insert

    from sundial import Schedule, pipeline, step
    from sundial.config import Settings
    from sundial.scheduler.plan import first_fire_at
    from sundial.store import tables as t
    from sundial.store.schedule_store import ScheduleStore
    from sundial.store.store import Store

    @step
    def extract(n: int = 3) -> list[int]:
        return list(range(n))

    @step
    def train(xs: list[int]) -> int:
        return sum(xs)

    @pipeline(enable_cache=False)
    def nightly_training(n: int = 3) -> None:
        train(extract(n=n))

    nightly_training()  # one real run: the pipeline, its version and a run with artifacts
    store = Store.from_settings(Settings.from_env())
    graph = nightly_training.trace({})
    pipeline_id, version_id = store.pipeline_version(
        nightly_training.name, graph.version_hash(), graph.spec(), nightly_training.source)
    rows = ScheduleStore(store)
    rng = random.Random(7)
    now = datetime.now(UTC)
    ids = []
    for i in range(n_schedules):
        zone = ZONES[i % len(ZONES)]
        if i % 2:
            sched = Schedule(name=f"s{i:04d}", cron_expression=f"{i % 60} {i % 24} * * *",
                             timezone=zone)
        else:
            sched = Schedule(name=f"s{i:04d}", interval_second=600 + i,
                             start_time=now - timedelta(days=30), timezone=zone)
        ids.append(rows.insert(name=sched.name or "", pipeline_id=pipeline_id,
                               version_id=version_id, params={"n": i % 5}, enable_cache=False,
                               orchestrator="local", definition=sched.to_json(),
                               next_fire_at=first_fire_at(sched, now), now=now))
    runs, steps, ticks = [], [], []
    failed_id = ""
    for i in range(n_runs):
        run_id = str(uuid.uuid4())
        sid = ids[i % len(ids)] if ids and i % 10 else None
        created = now - timedelta(minutes=5 * (n_runs - i))
        roll = rng.random()
        status = ("completed" if roll < 0.85 else "failed" if roll < 0.95 else
                  "running" if i > n_runs - 20 else "completed")
        ended = None if status == "running" else created + timedelta(seconds=rng.uniform(1, 90))
        if status == "failed":
            failed_id = run_id
        runs.append(dict(id=run_id, pipeline_id=pipeline_id, version_id=version_id,
                         status=status, params={"n": 3}, orchestrator="local",
                         created_at=created, started_at=created, ended_at=ended,
                         heartbeat_at=created, error="a step failed" if status == "failed"
                         else None, schedule_id=sid, nominal_at=created if sid else None,
                         trigger="live" if sid else None, bypass_limit=0))
        for pos, name in enumerate(("extract", "train")):
            step_status = ("failed" if status == "failed" and pos == 1 else
                           "running" if status == "running" and pos == 1 else "completed")
            steps.append(dict(run_id=run_id, name=name, step=name, position=pos,
                              status=step_status, attempts=1,
                              started_at=created + timedelta(seconds=pos),
                              ended_at=None if step_status == "running"
                              else created + timedelta(seconds=pos + 0.5),
                              duration=None if step_status == "running" else 0.5,
                              error="ValueError: bad batch" if step_status == "failed" else None,
                              traceback="Traceback (most recent call last):\n  ...\n"
                              "ValueError: bad batch\n" if step_status == "failed" else None,
                              logs=f"{name}: processed 3 rows\n"))
        if sid and i % 7 == 0:
            ticks.append(dict(schedule_id=sid, nominal_at=created - timedelta(seconds=30),
                              decision="skipped", reason="overlap_skip", recorded_at=created))
    with store.write() as conn:
        for table, batch in ((t.runs, runs), (t.step_runs, steps), (t.ticks, ticks)):
            for k in range(0, len(batch), 2000):
                conn.execute(insert(table), batch[k:k + 2000])
    return store, f"s{1:04d}" if n_schedules > 1 else "s0000", failed_id


def fetch(url: str) -> tuple[float, float, float, bytes]:
    """(server ms from Server-Timing, wall ms, CPU ms of this process, body). The server runs
    in this process, so the CPU time is the server's plus the small cost of urllib's request."""
    began, cpu = time.perf_counter(), time.process_time()
    with urllib.request.urlopen(url, timeout=60) as resp:
        body = resp.read()
        timing = resp.headers.get("Server-Timing", "app;dur=nan")
    wall = (time.perf_counter() - began) * 1e3
    return float(timing.split("dur=")[1]), wall, (time.process_time() - cpu) * 1e3, body


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: checks the bench runs")
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--schedules", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    if args.smoke:
        args.runs, args.schedules, args.repeat = 200, 20, 3
    load0 = os.getloadavg()
    home = Path(tempfile.mkdtemp(prefix="sundial-bench-ui-"))
    os.environ.update(SUNDIAL_HOME=str(home), SUNDIAL_UI_TOKEN=TOKEN)
    os.environ.pop("SUNDIAL_DATABASE_URL", None)
    os.environ.pop("SUNDIAL_ARTIFACT_URI", None)

    began = time.perf_counter()
    store, one_schedule, failed_run = seed(args.schedules, args.runs)
    seeded = time.perf_counter() - began

    from sundial.server import serve

    stop = threading.Event()
    ready: list[str] = []
    threading.Thread(target=serve, kwargs=dict(port=0, store=store, token=TOKEN, stop=stop,
                                               on_ready=ready.append), daemon=True).start()
    deadline = time.monotonic() + 30
    while not ready and time.monotonic() < deadline:
        time.sleep(0.02)
    if not ready:
        print("the dashboard did not start", file=sys.stderr)
        return 1
    base = ready[0]
    pages = [
        ("schedules page (100 of all)", "/schedules"),
        ("schedules page, refresh fragment", "/schedules?partial=1"),
        ("runs page (100 of all, timeline)", "/runs"),
        ("runs page, refresh fragment", "/runs?partial=1"),
        ("runs page, failed only", "/runs?status=failed"),
        ("runs page, last page", f"/runs?offset={max(args.runs - 100, 0)}"),
        ("schedule page (calendar, skips)", f"/schedules/{one_schedule}"),
        ("run page (Gantt, logs)", f"/runs/{failed_run}"),
        ("API GET /api/v1/runs?limit=100", "/api/v1/runs?limit=100"),
        ("API GET /api/v1/schedules?limit=500", "/api/v1/schedules?limit=500"),
    ]
    assets = sum(len(fetch(base + a)[3]) for a in ("/static/app.js", "/static/app.css"))
    results = []
    for label, path in pages:
        fetch(base + path)  # warm: templates compiled, definitions parsed once
        server, wall, cpu = [], [], []
        body = b""
        for _ in range(args.repeat):
            s, w, c, body = fetch(base + path)
            server.append(s)
            wall.append(w)
            cpu.append(c)
        server.sort()
        results.append({"page": label, "path": path, "server_ms_median": statistics.median(server),
                        "server_ms_p95": server[min(len(server) - 1, int(len(server) * 0.95))],
                        "wall_ms_median": statistics.median(wall),
                        "cpu_ms_median": statistics.median(cpu), "bytes": len(body),
                        "gzip_bytes": len(gzip.compress(body))})
    stop.set()
    load1 = os.getloadavg()

    print(f"sundial dashboard pages, SQLite, {args.runs:,} runs and {args.schedules:,} schedules"
          f"{' (SMOKE: tiny sizes, figures mean nothing)' if args.smoke else ''}")
    print(f"  set-up {seeded:.1f} s; {args.repeat} requests per page after one warm-up; "
          f"goal: median server time < {GOAL_MS:.0f} ms")
    print(f"  {'page':38} {'server p50':>10} {'p95':>8} {'/goal':>6} {'CPU p50':>8} "
          f"{'wall p50':>9} {'bytes':>9} {'gzip':>8}")
    for r in results:
        print(f"  {r['page']:38} {r['server_ms_median']:8.1f}ms {r['server_ms_p95']:6.1f}ms "
              f"{r['server_ms_median'] / GOAL_MS:5.2f}x {r['cpu_ms_median']:6.1f}ms "
              f"{r['wall_ms_median']:7.1f}ms {r['bytes']:9,} {r['gzip_bytes']:8,}")
    print("  CPU = this process's CPU time per request (server + urllib): what the page costs "
          "when the machine is not shared; server/wall times include waiting for a core")
    print(f"  every page also loads app.js + app.css once: {assets:,} bytes (cached after)")
    print("  peers: none installed here (no Airflow or Dagster webserver running); the /goal "
          "column is the ratio to the 100 ms goal")
    print(f"  Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; "
          f"machine load average (1 min) at start {load0[0]:.2f}, at end {load1[0]:.2f}")
    shutil.rmtree(home, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps({"runs": args.runs, "schedules": args.schedules,
                                         "pages": results, "asset_bytes": assets}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
