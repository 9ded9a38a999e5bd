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

(4. what the fsync of a durable commit costs; 5. the CPU of one pass on a simulated clock
against the floor of a durable write transaction, in ``_sched_floor.py``.)

Everything runs in fresh temporary SUNDIAL_HOMEs. A benchmark prints; it never asserts.

    .venv/bin/python bench/scheduler.py [--quick] [--no-postgres] [--profile] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sched_common import (
    PG_URL,
    CallTimers,
    Figure,
    NullExecutor,
    PassAnatomy,
    RecordingExecutor,
    Report,
    bench_tick,
    epoch,
    fresh_home,
    percentile,
    postgres_reachable,
    postgres_schema,
    profile_text,
    sqlite_url,
)
from _sched_floor import bench_floor

from sundial import Schedule
from sundial.dispatch import register_schedule
from sundial.scheduler.clock import SimulatedClock
from sundial.scheduler.service import SchedulerService
from sundial.scheduler.wake import notify_schedulers
from sundial.store import tables as t
from sundial.store.store import Store


# -- 1. fire lateness ---------------------------------------------------------------------------
def bench_lateness(report: Report, *, count: int, intervals_s: tuple[int, int],
                   duration: float, warmup: float, profile: bool) -> None:
    lo, hi = intervals_s
    print(f"\n[1] fire lateness: {count:,} interval schedules ({lo}–{hi} s) on SQLite, "
          f"serve() for {duration:.0f} s", flush=True)
    rng = random.Random(20240601)
    with fresh_home("lateness") as home:
        store = Store(sqlite_url(home))
        # Start times lie after registration ends (one bulk registration: well under 1 s +
        # 1 s), so the scheduler starts with nothing overdue; each schedule's phase is random
        # within its interval, so fires spread over time instead of landing on whole seconds.
        anchor = datetime.now(UTC) + timedelta(seconds=2)
        planned = []
        for i in range(count):
            interval = rng.randint(lo, hi)
            planned.append((Schedule(
                name=f"late-{i:05d}", interval_second=timedelta(seconds=interval),
                start_time=anchor + timedelta(seconds=rng.uniform(0, interval)),
                timezone="UTC"), interval))
        infos = bench_tick.with_options(orchestrator="local").register_schedules(
            [sched for sched, _ in planned])
        intervals: dict[str, tuple[datetime, int]] = {
            info.id: (sched.start_time, interval)  # type: ignore[misc]
            for info, (sched, interval) in zip(infos, planned, strict=True)}
        late_start = datetime.now(UTC) > anchor
        if late_start:
            report.note("registration overran its time budget: the first ticks were overdue "
                        "when serve() began (they fall in the warm-up and are not counted)")

        executor = RecordingExecutor(store)
        service = SchedulerService(store, executor=executor)
        timers = CallTimers()
        for method in ("step", "handle", "dispatch"):
            timers.wrap(service, method)
        timers.wrap(service.schedules, "claim")
        timers.wrap(service.schedules, "next_wake")
        anatomy = PassAnatomy()
        anatomy.wrap(service, "step")
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

        # As `sundial scheduler` does after its start-up (the bench's set-up stands for it).
        gc.collect()
        gc.freeze()
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
        gc.unfreeze()
        anatomy.close()
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
    passes = len(timers.calls.get("step", []))
    if serve_cpu and passes:
        report.add(
            Figure("[1] scheduler CPU per tick fired (serve thread)",
                   serve_cpu[0] / max(1, len(dispatched)) * 1000, "ms", goal=0.1,
                   note=f"{serve_cpu[0]:.2f} s CPU of the serve thread / {len(dispatched):,} "
                   f"ticks dispatched in {passes:,} passes; includes the fsync of each "
                   "dispatching commit (CPU time hardly depends on other load)"),
            Figure("[1] serve-thread CPU per pass", serve_cpu[0] / passes * 1000, "ms"),
        )
    report.note(f"window {duration:.0f} s after {warmup:.0f} s warm-up: {expected:,} ticks "
                f"due, {in_window:,} recorded, {len(dispatched):,} dispatched, "
                f"{undispatched:,} recorded but not dispatched, skipped {skipped or 0}")
    report.note(f"fires/s due: {expected / duration:.0f}; lateness mean "
                f"{statistics.fmean(dispatched):.1f} ms; process CPU {cpu:.1f} s over "
                f"{wall:.1f} s wall")
    report.note("where serve() spent its time (wall, per call): " + timers.summary())
    report.note("a pass, mean ms: " + anatomy.summary())
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
            Figure(f"[2] catch-up of {missed:,} ticks, {label} (median of {reps}), wall", median,
                   "s"),
            Figure(f"[2] catch-up rate, {label}", ticks / median, "ticks/s"),
            Figure(f"[2] catch-up CPU of this process, {label}", statistics.median(cpus), "s",
                   goal=0.3,
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


def bench_idle(report: Report, *, count: int, singles: int, settle: float, window: float,
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

        # One by one, as `pipeline.with_options(schedule=...)()` does (a few, for the rate).
        began = time.perf_counter()
        for i in range(singles):
            register_schedule(bench_tick, {}, schedule(i), store=store)
        single_s = (time.perf_counter() - began) / singles
        # The bulk API: the first 1,000 timed against the goal, the rest in chunks (set-up).
        first = min(1000, count - singles)
        batch = [schedule(i) for i in range(singles, singles + first)]
        began, cpu0 = time.perf_counter(), time.process_time()
        bench_tick.register_schedules(batch)
        bulk_s, bulk_cpu = time.perf_counter() - began, time.process_time() - cpu0
        report.add(
            Figure(f"[3] register {first:,} schedules, bulk API, one transaction (SQLite)",
                   bulk_s, "s", goal=1.0, note=f"CPU {bulk_cpu:.3f} s; "
                   f"Pipeline.register_schedules"),
            Figure("[3] register one schedule at a time (SQLite)", single_s * 1000, "ms",
                   note=f"per schedule, mean of {singles}; 1,000 this way take "
                   f"{single_s * 1000:.1f} s"))
        began = time.perf_counter()
        for lo in range(singles + first, count, 10_000):
            bench_tick.register_schedules(
                [schedule(i) for i in range(lo, min(count, lo + 10_000))])
        if count > singles + first:
            report.note(f"set-up: the other {count - singles - first:,} schedules registered in "
                        f"bulk chunks of 10,000 in {time.perf_counter() - began:.1f} s")
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
                   goal=1, strict=True, note="share of one CPU"),
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
        timers.wrap(service.schedules, "claim")
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
                          projected, "%", goal=1, strict=True,
                          note="one pass per fire × the pass cost above; excludes handling"))
        report.note("one pass, nothing due (wall, per call): " + timers.summary())
        if profile and prof_out.exists():
            out = io.StringIO()
            stats = pstats.Stats(str(prof_out), stream=out)
            stats.sort_stats("cumulative").print_stats(30)
            out.write("\n--- by own time ---\n")
            stats.sort_stats("tottime").print_stats(30)
            report.profiles["idle scheduler (whole process)"] = out.getvalue()


# -- 4. durability ------------------------------------------------------------------------------
def bench_durability(report: Report, *, commits: int) -> None:
    """What the fsync of a durable commit costs on this disk: the same one-row write
    transaction, durable (synchronous=FULL) and not (NORMAL), interleaved."""
    print(f"\n[4] durability: {commits} one-row write transactions each way, SQLite",
          flush=True)
    with fresh_home("durable") as home:
        store = Store(sqlite_url(home))
        store.pipeline_version("p", "h", {}, {})
        walls: dict[bool, list[float]] = {True: [], False: []}
        cpus: dict[bool, list[float]] = {True: [], False: []}
        for i in range(commits * 2):
            durable = bool(i % 2)
            began, cpu0 = time.perf_counter(), time.process_time()
            with store.write(durable=durable) as conn:
                conn.execute(t.pipelines.update().values(name="p"))
            walls[durable].append((time.perf_counter() - began) * 1000)
            cpus[durable].append((time.process_time() - cpu0) * 1000)
        store.close()
    for durable, label in ((False, "NORMAL (run and step writes)"),
                           (True, "FULL, fsync (the scheduler's dispatching commit)")):
        report.add(Figure(f"[4] write transaction, synchronous={label}, p50",
                          percentile(walls[durable], 50), "ms",
                          note=f"p99 {percentile(walls[durable], 99):.2f} ms; CPU p50 "
                          f"{percentile(cpus[durable], 50):.3f} ms"))
    report.note("PostgreSQL runs with its defaults (synchronous_commit on: every commit waits "
                "for its WAL flush); the peers' SQLite stores run with theirs (see "
                "bench/README.md)")


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
    idle_registered: int  # of which registered one at a time (the rest in bulk)
    settle_s: float
    window_s: float


SIZES = {
    "full": Sizes(1000, "1-10", 40, 3, 10_000, 3, 100_000, 50, 10, 30),
    "quick": Sizes(1000, "1-10", 8, 1, 10_000, 1, 20_000, 20, 5, 10),
    "smoke": Sizes(30, "1-2", 1.5, 0.5, 50, 1, 60, 5, 1.5, 1),
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
    parser.add_argument("--only", choices=("lateness", "catchup", "idle", "durability", "floor"),
                        action="append",
                        help="run only this part (repeatable)")
    parser.add_argument("--intervals", metavar="LO-HI",
                        help="[1]: interval lengths in whole seconds (default 1-10)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    parts = set(args.only or ("lateness", "catchup", "idle", "durability", "floor"))

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
        bench_idle(report, count=size.idle_count, singles=size.idle_registered,
                   settle=size.settle_s, window=size.window_s, profile=args.profile)
    if "durability" in parts:
        bench_durability(report, commits=10 if args.smoke else 200)
    if "floor" in parts:
        bench_floor(report, count=size.lateness_count, passes=20 if args.smoke else 1000,
                    commits=10 if args.smoke else 300)

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
