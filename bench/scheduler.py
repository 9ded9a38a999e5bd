#!/usr/bin/env python3
"""How fast and how light is sundial's scheduler? Three figures, each against its goal:

1. **Fire lateness** with 1,000 active interval schedules (1–10 s, staggered starts) on SQLite:
   the real ``SchedulerService.serve()`` with the real ``SystemClock`` runs in a thread for a
   bounded time. Its executor spawns nothing: it notes the instant it is handed each run and a
   side thread marks the runs completed in batches (as workers in other processes would), so
   worker CPU does not pollute the figure. Lateness = the instant the run reached the executor
   minus the tick's nominal time (p50, p99, max). ``ticks.recorded_at - nominal_at`` is shown
   too; note that ``recorded_at`` is the instant the *pass* began, not when the row was written.
   Goal: p99 ≤ 20 ms.
2. **Catch-up**: one 1 s interval schedule whose start lies 10,000 s in the past, ``catchup=True``;
   one ``service.step()`` on a ``SimulatedClock`` records the 10,000 missed ticks (+ the live
   one), their runs, and dispatches. Timed on SQLite and, when reachable, PostgreSQL (a fresh
   schema, dropped afterwards). Goal: ≤ 1 s.
3. **Idle scheduler**: 10,000 active schedules whose next fire is a day ahead; ``sundial
   scheduler`` runs as a real subprocess; after it settles, its CPU time (``/proc/<pid>/stat``
   utime+stime) over a window, and its RSS (``/proc/<pid>/status``). Goal: < 2 % of one CPU,
   < 150 MiB. The first schedules are registered with ``register_schedule`` (its rate is
   reported); the rest, for set-up speed, with ``ScheduleStore.insert`` (rate reported too).

Everything runs in fresh temporary SUNDIAL_HOMEs. A benchmark prints; it never asserts.

    .venv/bin/python bench/scheduler.py [--quick] [--no-postgres] [--profile] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import queue
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text, update

from sundial import Schedule, pipeline, step
from sundial.dispatch import register_schedule
from sundial.scheduler.clock import SimulatedClock
from sundial.scheduler.plan import first_fire_at
from sundial.scheduler.service import SchedulerService
from sundial.scheduler.wake import notify_schedulers, wake_dir
from sundial.store import tables as t
from sundial.store.records import COMPLETED, STARTING
from sundial.store.schedule_store import ScheduleStore
from sundial.store.store import Store

PG_URL = os.environ.get("SUNDIAL_BENCH_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MIB = 1024 * 1024


# -- the pipeline the schedules run (it never runs here: nothing spawns a worker) ---------------
@step
def tick() -> int:
    return 1


@pipeline(enable_cache=False)
def bench_tick() -> None:
    tick()


# -- results ------------------------------------------------------------------------------------
@dataclass
class Figure:
    name: str
    value: float | None
    unit: str
    goal: float | None = None      # the figure must be at most (le) / below (lt) this
    strict: bool = False           # True: goal is "<", else "≤"
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.goal is None or self.value is None:
            return ""
        ok = self.value < self.goal if self.strict else self.value <= self.goal
        return "ok" if ok else "MISS"

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        if self.unit in ("ms", "s", "MiB", "%"):
            digits = 3 if self.unit == "s" else 2 if self.unit == "%" or self.value < 10 else 1
            return f"{self.value:.{digits}f} {self.unit}"
        return f"{self.value:,.0f} {self.unit}".rstrip()

    def goal_shown(self) -> str:
        if self.goal is None:
            return ""
        return f"{'<' if self.strict else '≤'} {self.goal:g} {self.unit}"


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)

    def note(self, line: str) -> None:
        self.notes.append(line)
        print(f"  · {line}", flush=True)

    def table(self) -> str:
        rows = [("figure", "measured", "goal", ""), *[
            (f.name, f.shown(), f.goal_shown(), f.verdict) for f in self.figures]]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = []
        for i, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) if j == 0 else c.rjust(w) if j < 3 else c
                                   for j, (c, w) in enumerate(zip(row, widths, strict=True))))
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


# -- helpers ------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def epoch(instant: datetime) -> float:
    return instant.timestamp()


@contextlib.contextmanager
def fresh_home(prefix: str) -> Iterator[Path]:
    """A temporary SUNDIAL_HOME, set in this process's environment while the block runs."""
    home = Path(tempfile.mkdtemp(prefix=f"sundial-bench-{prefix}-"))
    saved = {k: os.environ.get(k) for k in ("SUNDIAL_HOME", "SUNDIAL_DATABASE_URL",
                                            "SUNDIAL_ARTIFACT_URI")}
    os.environ["SUNDIAL_HOME"] = str(home)
    os.environ.pop("SUNDIAL_DATABASE_URL", None)
    os.environ.pop("SUNDIAL_ARTIFACT_URI", None)
    try:
        yield home
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(home, ignore_errors=True)
        with contextlib.suppress(OSError):  # the (empty) wake-up folder serve() made
            wake_dir(sqlite_url(home)).rmdir()


def sqlite_url(home: Path) -> str:
    return f"sqlite:///{home / 'sundial.db'}"


@contextlib.contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A URL whose search_path is a new, empty schema; the schema is dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base_url else "?"
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with contextlib.suppress(Exception), engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def postgres_reachable(base_url: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        engine = create_engine(base_url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as err:  # any failure means "skip PostgreSQL", with the reason
        return str(err).strip().splitlines()[0]
    return None


def profile_text(prof: cProfile.Profile, limit: int = 25) -> str:
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    out.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()


class CallTimers:
    """Wall time of each call of some methods, wrapped on the instance (cheap next to the
    milliseconds a store call takes)."""

    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = {}

    def wrap(self, obj: object, method: str) -> None:
        inner = getattr(obj, method, None)
        if inner is None:  # renamed in the service: time the rest
            return
        spent = self.calls.setdefault(method, [])

        def timed(*args: object, **kwargs: object) -> object:
            began = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - began)

        setattr(obj, method, timed)

    def summary(self) -> str:
        parts = []
        for name, spent in self.calls.items():
            if spent:
                ms = [x * 1000 for x in spent]
                parts.append(f"{name} {len(ms):,}× p50 {percentile(ms, 50):.1f} ms, "
                             f"p99 {percentile(ms, 99):.1f} ms, total {sum(ms) / 1000:.1f} s")
        return "; ".join(parts)


class NullExecutor:
    """Starts nothing."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, run_id: str) -> None:
        self.started.append(run_id)


class RecordingExecutor:
    """Notes when each run reaches it; a side thread marks the runs completed in batches,
    as workers in other processes would, so that ``max_active_runs`` frees up."""

    def __init__(self, store: Store, every: float = 0.05) -> None:
        self.store = store
        self.every = every
        self.starts: dict[str, float] = {}
        self._todo: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stop = threading.Event()
        self.completed = 0
        self._thread = threading.Thread(target=self._complete, name="bench-completer",
                                        daemon=True)
        self._thread.start()

    def start(self, run_id: str) -> None:
        self.starts[run_id] = time.time()
        self._todo.put(run_id)

    def _complete(self) -> None:
        while not self._stop.wait(self.every):
            self._flush()
        self._flush()

    def _flush(self) -> None:
        ids: list[str] = []
        while True:
            try:
                ids.append(self._todo.get_nowait())
            except queue.Empty:
                break
        if not ids:
            return
        now = datetime.now(UTC)
        with self.store.write() as conn:
            conn.execute(update(t.runs).where(t.runs.c.id.in_(ids), t.runs.c.status == STARTING)
                         .values(status=COMPLETED, ended_at=now))
        self.completed += len(ids)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


# -- 1. fire lateness ---------------------------------------------------------------------------
def bench_lateness(report: Report, *, count: int, intervals_s: tuple[int, int],
                   duration: float, warmup: float, profile: bool) -> None:
    lo, hi = intervals_s
    print(f"\n[1] fire lateness: {count:,} interval schedules ({lo}–{hi} s) on SQLite, "
          f"serve() for {duration:.0f} s", flush=True)
    rng = random.Random(20240601)
    with fresh_home("lateness") as home:
        store = Store(sqlite_url(home))
        # Start times lie after registration ends (budget: 12 ms per schedule + 1 s), so the
        # scheduler starts with nothing overdue; each schedule's phase is random within its
        # interval, so fires spread over time instead of landing together on whole seconds.
        anchor = datetime.now(UTC) + timedelta(seconds=1 + count * 0.012)
        intervals: dict[str, tuple[datetime, int]] = {}
        began = time.perf_counter()
        for i in range(count):
            interval = rng.randint(lo, hi)
            start = anchor + timedelta(seconds=rng.uniform(0, interval))
            info = register_schedule(bench_tick, {}, Schedule(
                name=f"late-{i:05d}", interval_second=timedelta(seconds=interval), start_time=start,
                timezone="UTC"), store=store)
            intervals[info.id] = (start, interval)
        reg_seconds = time.perf_counter() - began
        report.add(Figure(f"[1] register_schedule rate ({count:,}, SQLite)",
                          count / reg_seconds,
                          "schedules/s", note=f"{reg_seconds / count * 1000:.2f} ms each"))
        late_start = datetime.now(UTC) > anchor
        if late_start:
            report.note("registration overran its time budget: the first ticks were overdue "
                        "when serve() began (they fall in the warm-up and are not counted)")

        executor = RecordingExecutor(store)
        service = SchedulerService(store, executor=executor)
        timers = CallTimers()
        for method in ("step", "handle", "dispatch"):
            timers.wrap(service, method)
        timers.wrap(service.schedules, "claim_due")
        timers.wrap(service.schedules, "next_wake")
        stop = threading.Event()
        prof = cProfile.Profile() if profile else None
        serve_cpu: list[float] = []

        def serve() -> None:
            cpu_began = time.thread_time()
            if prof is not None:
                prof.enable()
            try:
                service.serve(stop=stop, install_signals=False)
            finally:
                if prof is not None:
                    prof.disable()
                serve_cpu.append(time.thread_time() - cpu_began)

        cpu0 = time.process_time()
        wall0 = time.time()
        thread = threading.Thread(target=serve, name="bench-serve", daemon=True)
        thread.start()
        # Run until anchor + warm-up + duration, so `duration` seconds are measured.
        window_start = max(epoch(anchor), wall0) + warmup
        window_end = window_start + duration
        time.sleep(max(0.0, window_end - time.time()))
        stop.set()
        notify_schedulers(store.url)  # the public wake-up: serve() sees `stop` at once
        thread.join(timeout=60)
        cpu = time.process_time() - cpu0
        wall = time.time() - wall0
        executor.close()

        # Ticks due in the window, as the schedules define them.
        expected = 0
        for start, interval in intervals.values():
            first = max(0, int((window_start - epoch(start)) // interval))
            k = first
            while epoch(start) + k * interval <= window_end:
                if epoch(start) + k * interval >= window_start:
                    expected += 1
                k += 1
        with store.read() as conn:
            rows = conn.execute(select(
                t.ticks.c.nominal_at, t.ticks.c.recorded_at, t.ticks.c.decision,
                t.ticks.c.reason, t.ticks.c.run_id)).all()
        dispatched: list[float] = []
        recorded: list[float] = []
        skipped: dict[str, int] = {}
        undispatched = 0
        in_window = 0
        for row in rows:
            nominal = epoch(row.nominal_at)
            if not window_start <= nominal <= window_end:
                continue
            in_window += 1
            recorded.append((epoch(row.recorded_at) - nominal) * 1000)
            if row.decision != "run":
                skipped[str(row.reason)] = skipped.get(str(row.reason), 0) + 1
                continue
            started = executor.starts.get(row.run_id)
            if started is None:
                undispatched += 1
            else:
                dispatched.append((started - nominal) * 1000)
        store.close()

    if not dispatched:
        report.note("no run was dispatched in the window: no lateness figure")
        return
    report.add(
        Figure(f"[1] fire lateness p50, {count:,} schedules {lo}–{hi} s (dispatch - nominal)",
               percentile(dispatched, 50), "ms"),
        Figure("[1] fire lateness p99 (dispatch - nominal)", percentile(dispatched, 99), "ms",
               goal=20),
        Figure("[1] fire lateness max", max(dispatched), "ms"),
        Figure("[1] ticks measured (runs dispatched)", len(dispatched), ""),
        Figure("[1] ticks due but not run (fell behind: missed)", sum(skipped.values()), "",
               note="recorded as skipped (catchup_disabled) because a newer tick of the "
               "same schedule was already due when the scheduler got to them"),
        Figure("[1] recorded_at - nominal p50", percentile(recorded, 50), "ms"),
        Figure("[1] recorded_at - nominal p99", percentile(recorded, 99), "ms"),
        Figure("[1] scheduler process CPU during serve()", cpu / wall * 100, "%",
               note="serve thread + completer thread, share of one CPU"),
    )
    handles = len(timers.calls.get("handle", []))
    passes = len(timers.calls.get("step", []))
    if serve_cpu and handles and passes:
        report.add(
            Figure("[1] serve-thread CPU per pass (step)", serve_cpu[0] / passes * 1000, "ms",
                   note=f"{serve_cpu[0]:.1f} s CPU of the serve thread / {passes:,} passes; "
                   "CPU time hardly depends on other load on the machine"),
            Figure("[1] serve-thread CPU per handled schedule (incl. pass overhead)",
                   serve_cpu[0] / handles * 1000, "ms",
                   note=f"/ {handles:,} handle() calls; its inverse bounds the fires/s one "
                   f"free core sustains at this mix (demand here: {expected / duration:.0f}/s)"),
        )
    report.note(f"window {duration:.0f} s after {warmup:.0f} s warm-up: {expected:,} ticks "
                f"due, {in_window:,} recorded, {len(dispatched):,} dispatched, "
                f"{undispatched:,} recorded but not dispatched, skipped {skipped or 0}")
    report.note(f"fires/s due: {expected / duration:.0f}; lateness mean "
                f"{statistics.fmean(dispatched):.1f} ms; process CPU {cpu:.1f} s over "
                f"{wall:.1f} s wall")
    report.note("where serve() spent its time (wall, per call): " + timers.summary())
    if prof is not None:
        report.profiles["lateness (serve thread)"] = profile_text(prof)


# -- 2. catch-up --------------------------------------------------------------------------------
def catchup_once(url: str, missed: int,
                 profile: bool) -> tuple[float, float, int, int, str]:
    """One catch-up step on a fresh store; returns (wall s, this process's CPU s, ticks, runs,
    profile text)."""
    store = Store(url)
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        register_schedule(bench_tick, {}, Schedule(
            name="catchup", interval_second=timedelta(seconds=1),
            start_time=now - timedelta(seconds=missed), catchup=True, timezone="UTC"),
            store=store)
        service = SchedulerService(store, clock=SimulatedClock(now), executor=NullExecutor())
        prof = cProfile.Profile() if profile else None
        began, cpu0 = time.perf_counter(), time.process_time()
        if prof is not None:
            prof.enable()
        service.step()
        if prof is not None:
            prof.disable()
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu0
        ticks, runs = store.count("ticks"), store.count("runs")
        return seconds, cpu, ticks, runs, profile_text(prof) if prof is not None else ""
    finally:
        store.close()


def bench_catchup(report: Report, *, missed: int, reps: int, postgres: bool,
                  profile: bool) -> None:
    print(f"\n[2] catch-up: {missed:,} missed ticks of one 1 s schedule, one step()",
          flush=True)
    backends: list[tuple[str, Callable[[], contextlib.AbstractContextManager[str]]]] = []

    @contextlib.contextmanager
    def sqlite_store() -> Iterator[str]:
        with fresh_home("catchup") as home:
            yield sqlite_url(home)

    backends.append(("SQLite", sqlite_store))
    if postgres:
        why = postgres_reachable(PG_URL)
        if why is None:
            backends.append(("PostgreSQL", lambda: postgres_schema(PG_URL)))
        else:
            report.note(f"PostgreSQL skipped: {why}")
    for label, make in backends:
        times: list[float] = []
        cpus: list[float] = []
        ticks = runs = 0
        for rep in range(reps):
            with make() as url:
                seconds, cpu, ticks, runs, prof = catchup_once(url, missed,
                                                               profile and rep == 0)
            times.append(seconds)
            cpus.append(cpu)
            if prof:
                report.profiles[f"catch-up ({label})"] = prof
        best, median = min(times), statistics.median(times)
        report.add(
            Figure(f"[2] catch-up of {missed:,} ticks, {label} (median of {reps})", median, "s",
                   goal=1.0),
            Figure(f"[2] catch-up rate, {label}", ticks / median, "ticks/s"),
            Figure(f"[2] catch-up CPU of this process, {label}", statistics.median(cpus), "s",
                   note="the Python side; on PostgreSQL the server's work is not in it"),
        )
        report.note(f"{label}: {ticks:,} ticks and {runs:,} runs recorded; times "
                    + ", ".join(f"{x:.3f}" for x in times) + f" s (best {best:.3f} s)")


# -- 3. idle scheduler --------------------------------------------------------------------------
def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is fields[0]; utime and stime are stat fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def sundial_command() -> list[str]:
    exe = Path(sys.executable).with_name("sundial")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("sundial")
    return [found] if found else [sys.executable, "-c", "from sundial.cli import main; main()"]


def bench_idle(report: Report, *, count: int, registered: int, settle: float, window: float,
               profile: bool) -> None:
    print(f"\n[3] idle scheduler: {count:,} active schedules (next fire ≥ 12 h ahead), "
          f"`sundial scheduler` subprocess, {window:.0f} s window", flush=True)
    rng = random.Random(7)
    with fresh_home("idle") as home:
        url = sqlite_url(home)
        store = Store(url)
        now = datetime.now(UTC)
        # Half daily cron at a UTC hour 12 h from now, half daily intervals starting tomorrow.
        hour = (now.hour + 12) % 24

        def schedule(i: int) -> Schedule:
            if i % 2:
                return Schedule(name=f"idle-{i:05d}", timezone="UTC",
                                cron_expression=f"{rng.randrange(60)} {hour} * * *")
            return Schedule(name=f"idle-{i:05d}", timezone="UTC", interval_second=timedelta(days=1),
                            start_time=now + timedelta(days=1, seconds=rng.uniform(0, 86400)))

        began = time.perf_counter()
        for i in range(registered):
            register_schedule(bench_tick, {}, schedule(i), store=store)
        reg_seconds = time.perf_counter() - began
        report.add(Figure(f"[3] register_schedule rate ({registered:,}, SQLite)",
                          registered / reg_seconds, "schedules/s",
                          note=f"{reg_seconds / registered * 1000:.2f} ms each"))
        rest = count - registered
        if rest > 0:
            graph = bench_tick.trace({})
            pipeline_id, version_id = store.pipeline_version(
                bench_tick.name, graph.version_hash(), graph.spec(), bench_tick.source)
            schedules = ScheduleStore(store)
            began = time.perf_counter()
            for i in range(registered, count):
                sched = schedule(i)
                created = datetime.now(UTC)
                schedules.insert(
                    name=sched.name or f"idle-{i}", pipeline_id=pipeline_id,
                    version_id=version_id, params={}, enable_cache=False, orchestrator="local",
                    definition=sched.to_json(), next_fire_at=first_fire_at(sched, created),
                    now=created)
            ins_seconds = time.perf_counter() - began
            report.add(Figure(f"[3] ScheduleStore.insert rate ({rest:,}, set-up)",
                              rest / ins_seconds, "schedules/s",
                              note=f"{ins_seconds / rest * 1000:.2f} ms each"))
            report.note(f"set-up: {registered:,} schedules through register_schedule "
                        f"({reg_seconds:.1f} s), {rest:,} through ScheduleStore.insert "
                        f"({ins_seconds:.1f} s)")
        store.close()

        env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDIAL_")}
        env.update(SUNDIAL_HOME=str(home), SUNDIAL_DATABASE_URL=url)
        prof_out = home / "scheduler.prof"
        cmd = [*sundial_command(), "scheduler"]
        if profile and Path(cmd[0]).is_file():
            # The console script is a Python file: cProfile runs it and, on the clean exit
            # that SIGTERM causes, writes its statistics.
            cmd = [sys.executable, "-m", "cProfile", "-o", str(prof_out), *cmd]
        log_path = home / "scheduler.log"
        with open(log_path, "wb") as log:
            began = time.perf_counter()
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
            try:
                time.sleep(settle)
                if proc.poll() is not None:
                    report.note(f"`sundial scheduler` exited early with {proc.returncode}: "
                                + log_path.read_text(errors="replace")[-800:])
                    return
                startup_cpu = proc_cpu_seconds(proc.pid)
                cpu0, wall0 = proc_cpu_seconds(proc.pid), time.perf_counter()
                time.sleep(window)
                cpu1, wall1 = proc_cpu_seconds(proc.pid), time.perf_counter()
                rss = proc_status_kib(proc.pid, "VmRSS") / 1024
                hwm = proc_status_kib(proc.pid, "VmHWM") / 1024
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    code: int | None = proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    code = proc.wait()
        total = time.perf_counter() - began
        share = (cpu1 - cpu0) / (wall1 - wall0) * 100
        report.add(
            Figure(f"[3] idle CPU, {count:,} schedules ({window:.0f} s window)", share, "%",
                   goal=2, strict=True, note="share of one CPU"),
            Figure("[3] idle RSS (VmRSS)", rss, "MiB", goal=150, strict=True),
            Figure("[3] peak RSS (VmHWM)", hwm, "MiB"),
        )
        report.note(f"CPU {cpu1 - cpu0:.2f} s over {wall1 - wall0:.1f} s; start-up + settle "
                    f"used {startup_cpu:.2f} s CPU in the first {settle:.0f} s; exit code "
                    f"{code} after SIGTERM ({total:.0f} s alive)")
        # What each wake-up of that scheduler costs: one pass with nothing due, in process.
        store = Store(url)
        service = SchedulerService(store, executor=NullExecutor())
        timers = CallTimers()
        for method in ("step", "dispatch", "reap"):
            timers.wrap(service, method)
        timers.wrap(service.schedules, "claim_due")
        timers.wrap(service.schedules, "next_wake")
        passes = []
        for _ in range(5):
            began = time.perf_counter()
            service.step()
            passes.append((time.perf_counter() - began) * 1000)
        store.close()
        report.add(Figure(f"[3] one step() with nothing due, {count:,} schedules (median of 5)",
                          statistics.median(passes), "ms",
                          note="paid at every wake-up, i.e. at each fire of any schedule"))
        # Every fire of any schedule wakes the scheduler for one such pass (plus the handling
        # of the due schedule). With daily schedules spread over the day, that is
        # count / 86,400 passes per second: a projection, not a measurement.
        projected = statistics.median(passes) / 1000 * count / 86_400 * 100
        report.add(Figure(f"[3] projected CPU, {count:,} daily schedules spread over the day",
                          projected, "%", goal=2, strict=True,
                          note="one pass per fire × the pass cost above; excludes handling"))
        report.note("one pass, nothing due (wall, per call): " + timers.summary())
        if profile and prof_out.exists():
            out = io.StringIO()
            stats = pstats.Stats(str(prof_out), stream=out)
            stats.sort_stats("cumulative").print_stats(30)
            out.write("\n--- by own time ---\n")
            stats.sort_stats("tottime").print_stats(30)
            report.profiles["idle scheduler (whole process)"] = out.getvalue()


# -- main ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sizes:
    """How big each part is: the full run, a quicker one, and the smoke run of `make test`."""

    lateness_count: int
    intervals: str
    lateness_s: float
    warmup_s: float
    missed: int
    reps: int
    idle_count: int
    idle_registered: int
    settle_s: float
    window_s: float


SIZES = {
    "full": Sizes(1000, "1-10", 40, 3, 10_000, 3, 10_000, 1_000, 10, 30),
    "quick": Sizes(1000, "1-10", 8, 1, 10_000, 1, 2_000, 200, 5, 10),
    "smoke": Sizes(30, "1-2", 1.5, 0.5, 50, 1, 60, 20, 1.5, 1),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller counts and shorter windows")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, seconds: checks that every part still runs "
                        "(what `make test` does); its figures mean nothing")
    parser.add_argument("--no-postgres", action="store_true",
                        help="skip the PostgreSQL catch-up figure")
    parser.add_argument("--profile", action="store_true",
                        help="also print cProfile top costs of each part")
    parser.add_argument("--only", choices=("lateness", "catchup", "idle"), action="append",
                        help="run only this part (repeatable)")
    parser.add_argument("--intervals", metavar="LO-HI",
                        help="[1]: interval lengths in whole seconds (default 1-10)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    parts = set(args.only or ("lateness", "catchup", "idle"))

    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    size = SIZES[mode]
    print(f"sundial scheduler benchmark ({mode}) — Python "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs",
          flush=True)
    report = Report()
    load0 = os.getloadavg()
    if "lateness" in parts:
        lo, _, hi = (args.intervals or size.intervals).partition("-")
        bench_lateness(report, count=size.lateness_count, intervals_s=(int(lo), int(hi or lo)),
                       duration=size.lateness_s, warmup=size.warmup_s, profile=args.profile)
    if "catchup" in parts:
        bench_catchup(report, missed=size.missed, reps=size.reps,
                      postgres=not args.no_postgres, profile=args.profile)
    if "idle" in parts:
        bench_idle(report, count=size.idle_count, registered=size.idle_registered,
                   settle=size.settle_s, window=size.window_s, profile=args.profile)

    load1 = os.getloadavg()
    print("\n" + report.table())
    print(f"  machine load average (1 min) at start {load0[0]:.2f}, at end {load1[0]:.2f} on "
          f"{os.cpu_count()} CPUs: other work on the machine shows up in these figures")
    for f in report.figures:
        if f.note:
            print(f"  {f.name}: {f.note}")
    if mode != "full":
        print(f"  (--{mode}: smaller sizes: {size})")
    for name, text_ in report.profiles.items():
        print(f"\n==== profile: {name} ====\n{text_}")
    if args.json:
        args.json.write_text(json.dumps({
            "figures": [dict(name=f.name, value=f.value, unit=f.unit, goal=f.goal,
                             verdict=f.verdict, note=f.note) for f in report.figures],
            "notes": report.notes}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
