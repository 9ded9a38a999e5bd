"""Real processes: scheduler replicas that crash and restart, workers killed mid-step, SIGTERM.

DESIGN §2, *exactly once*: however many ``sundial scheduler`` replicas run, crash (SIGKILL) or
restart, a tick makes at most one run and a tick that is due is eventually handled; §4: a killed
scheduler or worker never corrupts the store or drops a tick, and a run whose worker died ends
``failed`` with ``worker lost`` — at once when the scheduler that spawned the worker sees it
exit, else when any scheduler's reaper sees its heartbeat stop.

Everything is real: the ``sundial`` entry point, one worker process per run, SQLite files and a
PostgreSQL schema. Expected ticks are plain arithmetic (``start + k·interval <= end``), never
sundial's timing code. Each step execution leaves a marker file named after its run and process
(see ``replica_pipelines.py``), so a run executed by two workers would show. Every process a
test starts is stopped by its PID at the end, and so is every worker of the test's runs.

One in-process test (two ``SchedulerService`` on two connections) pins deterministically the
race that the replicas test can only catch by chance: two replicas dispatching at the same
moment must not exceed ``max_active_runs``.

Timings are only generous upper bounds that keep a broken build from hanging; the machine has
two cores shared with another pytest worker, so nothing here asserts speed.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from replica_pipelines import MARK_DIR_ENV, SLOW_SECONDS_ENV, prepare_then_sleep, replica_tick
from sqlalchemy import event, select, text

from sundial import Schedule
from sundial.definition.schedule import Overlap
from sundial.engine.artifacts import load_artifact
from sundial.scheduler.api import Schedules
from sundial.scheduler.service import SchedulerService
from sundial.store import tables as t
from sundial.store.records import COMPLETED, FAILED, RUNNING
from sundial.store.store import Store

SUNDIAL = Path(sys.executable).with_name("sundial")
SECOND = timedelta(seconds=1)
#: Replicas in the crash tests fail runs whose worker has been silent this long; workers
#: heartbeat every second (SUNDIAL_HEARTBEAT_SECONDS=1 in every child's environment).
REPLICA_HEARTBEAT_TIMEOUT = "10"


# -- environment and processes -----------------------------------------------------------------

@dataclass
class Env:
    """One test's store, folders and the environment its child processes get."""

    url: str
    home: Path
    marks: Path
    logs: Path
    children: dict[str, str]
    store: Store


@dataclass
class Proc:
    label: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid


@dataclass
class Fleet:
    """Every process a test starts; :meth:`close` stops them, and their workers, by PID."""

    env: Env
    procs: list[Proc] = field(default_factory=list)
    _count: Counter[str] = field(default_factory=Counter)

    def scheduler(self, label: str, *args: str) -> Proc:
        self._count[label] += 1
        log = self.env.logs / f"{label}-{self._count[label]}.log"
        with open(log, "wb") as out:
            popen = subprocess.Popen(
                [str(SUNDIAL), "scheduler", *args], stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=self.env.home.parent, env=self.env.children)
        proc = Proc(label, popen, log)
        self.procs.append(proc)
        return proc

    def kill(self, proc: Proc, sig: signal.Signals = signal.SIGKILL,
             timeout: float = 30.0) -> int:
        """Send ``sig`` to the process and wait for it; returns its exit code."""
        if proc.popen.poll() is None:
            proc.popen.send_signal(sig)
        return wait_exit(proc, timeout, self.env)

    def close(self) -> None:
        for proc in self.procs:
            if proc.popen.poll() is None:
                proc.popen.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):  # a process stuck in D state
                proc.popen.wait(timeout=30)
        kill_workers(self.env.store)


def wait_exit(proc: Proc, timeout: float, env: Env) -> int:
    try:
        return proc.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{proc.label} (pid {proc.pid}) did not exit within {timeout:g}s\n"
                    f"{log_tail(env)}")


def worker_processes(run_ids: set[str]) -> dict[int, str]:
    """PID → run id of the live worker processes (``python -m sundial.scheduler.worker RUN``)
    of these runs, read from /proc so that a recycled PID is never mistaken for a worker."""
    found: dict[int, str] = {}
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - Linux only
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in argv if a]
        if "sundial.scheduler.worker" in args and args[-1] in run_ids:
            found[int(entry.name)] = args[-1]
    return found


def kill_workers(store: Store) -> None:
    """SIGKILL every worker of this store's runs that is still alive: the PIDs recorded in
    runs.worker_pid, and workers that had not recorded theirs yet."""
    try:
        with store.read() as conn:
            rows = conn.execute(select(t.runs.c.id, t.runs.c.worker_pid)).all()
    except Exception:  # the store may be gone already; nothing to find then
        return
    # Only PIDs that /proc shows running a worker of one of these runs: a PID recorded in
    # runs.worker_pid may have been recycled by now.
    for pid in worker_processes({r.id for r in rows}):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def log_tail(env: Env, lines: int = 15) -> str:
    out = []
    for log in sorted(env.logs.glob("*.log"), key=lambda p: p.stat().st_mtime)[-4:]:
        text = log.read_text(errors="replace").splitlines()[-lines:]
        out.append(f"--- {log.name}\n" + "\n".join(text))
    return "\n".join(out)


def wait_until(cond: Callable[[], bool], timeout: float, what: str, env: Env) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting until {what}\n{log_tail(env)}")
        time.sleep(0.2)


def make_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str) -> Iterator[Env]:
    home = tmp_path / "home"
    marks, logs = tmp_path / "marks", tmp_path / "logs"
    for folder in (home, marks, logs):
        folder.mkdir(parents=True)
    monkeypatch.setenv("SUNDIAL_HOME", str(home))
    monkeypatch.setenv("SUNDIAL_DATABASE_URL", url)
    monkeypatch.delenv("SUNDIAL_ARTIFACT_URI", raising=False)
    children = dict(os.environ)
    children.update({"SUNDIAL_HEARTBEAT_SECONDS": "1", MARK_DIR_ENV: str(marks),
                     "COLUMNS": "200", "PYTHONUNBUFFERED": "1"})
    store = Store(url)
    env = Env(url=url, home=home, marks=marks, logs=logs, children=children, store=store)
    try:
        yield env
    finally:
        kill_workers(store)
        store.close()


@pytest.fixture
def pg_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, postgres_url: str) -> Iterator[Env]:
    yield from make_env(monkeypatch, tmp_path, postgres_url)


@pytest.fixture
def sqlite_file_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Env]:
    yield from make_env(monkeypatch, tmp_path, f"sqlite:///{tmp_path / 'sundial.db'}")


@pytest.fixture
def any_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[Env]:
    """SQLite and PostgreSQL in turn (conftest's ``database_url``)."""
    yield from make_env(monkeypatch, tmp_path, database_url)


@pytest.fixture
def fleet(request: pytest.FixtureRequest) -> Iterator[Fleet]:
    env = next(request.getfixturevalue(n) for n in ("pg_env", "sqlite_file_env", "any_env")
               if n in request.fixturenames)
    fleet = Fleet(env)
    try:
        yield fleet
    finally:
        fleet.close()


# -- reading the store ---------------------------------------------------------------------------

def schedule_ids(env: Env) -> dict[str, str]:
    with env.store.read() as conn:
        return {r.name: r.id for r in conn.execute(select(t.schedules.c.name, t.schedules.c.id))}


def all_runs(env: Env) -> list[Any]:
    with env.store.read() as conn:
        return list(conn.execute(select(t.runs).order_by(t.runs.c.nominal_at)).all())


def all_ticks(env: Env) -> list[Any]:
    with env.store.read() as conn:
        return list(conn.execute(select(t.ticks).order_by(t.ticks.c.nominal_at)).all())


def step_runs(env: Env, run_id: str) -> dict[str, Any]:
    with env.store.read() as conn:
        rows = conn.execute(select(t.step_runs).where(t.step_runs.c.run_id == run_id)).all()
    return {r.name: r for r in rows}


def executions(env: Env) -> Counter[tuple[str, str]]:
    """(run id, step) → how many processes executed that step (from the marker files)."""
    found: Counter[tuple[str, str]] = Counter()
    for marker in env.marks.iterdir():
        run_id, step_name, _pid = marker.name.split(".")
        found[run_id, step_name] += 1
    return found


def expected_ticks(start: datetime, end: datetime, interval: timedelta) -> list[datetime]:
    out, k = [], 0
    while start + k * interval <= end:
        out.append(start + k * interval)
        k += 1
    return out


def check_exactly_once(env: Env, expected: dict[str, list[datetime]]) -> None:
    """Every expected tick has one tick row and one run, executed once and completed; nothing
    else exists; no run is left in flight."""
    ids = schedule_ids(env)
    runs, ticks = all_runs(env), all_ticks(env)
    runs_by: dict[str, list[Any]] = defaultdict(list)
    for r in runs:
        runs_by[r.schedule_id].append(r)
    ticks_by: dict[str, list[Any]] = defaultdict(list)
    for tk in ticks:
        ticks_by[tk.schedule_id].append(tk)
    for name, want in expected.items():
        sid = ids[name]
        got_runs = [r.nominal_at for r in runs_by[sid]]
        missing = sorted(set(want) - set(got_runs))
        extra = sorted(set(got_runs) - set(want))
        dupes = sorted(n for n, c in Counter(got_runs).items() if c > 1)
        assert not (missing or extra or dupes), (
            f"schedule {name}: runs missing for {missing}, unexpected {extra}, duplicated "
            f"{dupes}")
        assert got_runs == want
        got_ticks = [tk.nominal_at for tk in ticks_by[sid]]
        assert got_ticks == want, f"schedule {name}: tick rows {got_ticks} != {want}"
        run_of = {r.nominal_at: r.id for r in runs_by[sid]}
        for tk in ticks_by[sid]:
            assert (tk.decision, tk.run_id) == ("run", run_of[tk.nominal_at]), tk
            assert tk.reason in ("live", "catchup"), tk
    assert len(runs) == sum(len(w) for w in expected.values())
    not_done = [(r.id, r.nominal_at, r.status, r.error) for r in runs if r.status != COMPLETED]
    assert not not_done, f"runs not completed: {not_done}\n{log_tail(env)}"
    done = executions(env)
    twice = {k: n for k, n in done.items() if n > 1}
    assert not twice, f"runs executed by more than one worker: {twice}"
    assert set(done) == {(r.id, "beat") for r in runs}, "a run executed by no worker, or an " \
        "execution that belongs to no run"
    for r in runs:
        steps = step_runs(env, r.id)
        assert list(steps) == ["beat"] and steps["beat"].status == COMPLETED, (r.id, steps)


def check_max_active(env: Env, limits: dict[str, int]) -> None:
    """No more than ``max_active_runs`` runs of a schedule ran at once. Only the running spans
    are known (``started_at`` is rewritten when the worker takes the run), a lower bound of
    the slots really held, so any excess is real."""
    ids = schedule_ids(env)
    runs = all_runs(env)
    for name, limit in limits.items():
        mine = [r for r in runs if r.schedule_id == ids[name]]
        events = sorted([(r.started_at, 1, r) for r in mine] + [(r.ended_at, -1, r) for r in mine],
                        key=lambda e: (e[0], e[1]))
        active: list[Any] = []
        for _at, delta, run in events:
            if delta < 0:
                active.remove(run)
                continue
            active.append(run)
            assert len(active) <= limit, (
                f"schedule {name} (max_active_runs={limit}) had {len(active)} runs running at "
                "once: " + "; ".join(
                    f"tick {r.nominal_at:%H:%M:%S} ran {r.started_at:%H:%M:%S.%f}-"
                    f"{r.ended_at:%H:%M:%S.%f}, dispatched by {dispatchers(env, r.id)}"
                    for r in active))


def dispatchers(env: Env, run_id: str) -> list[str]:
    """The scheduler processes (log names) that started a worker for this run."""
    return sorted(log.stem for log in env.logs.glob("*.log")
                  if f"starting run {run_id}" in log.read_text(errors="replace"))


# -- 1 and 2: replicas crash and restart ---------------------------------------------------------

def register_interval_schedules(start: datetime, end: datetime,
                                kinds: list[tuple[Overlap, int]]) -> dict[str, list[datetime]]:
    """One 1-second interval schedule per (overlap, max_active_runs), catch-up on."""
    expected = {}
    for i, (overlap, max_active) in enumerate(kinds):
        name = f"every-second-{i}-{overlap}-{max_active}"
        replica_tick.with_options(schedule=Schedule(
            name=name, start_time=start, end_time=end, interval_second=1, catchup=True,
            overlap=overlap, max_active_runs=max_active))()
        expected[name] = expected_ticks(start, end, SECOND)
    return expected


def crash_and_restart(env: Env, fleet: Fleet, *, replicas: int,
                      kinds: list[tuple[Overlap, int]],
                      ticks: int, chaos_seconds: float) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    print(f"chaos seed {seed}")
    # Whole seconds, a little in the past (some ticks are missed from the start), and the
    # range bounded by end_time so the run count stays small.
    start = datetime.now(UTC).replace(microsecond=0) - 2 * SECOND
    end = start + (ticks - 1) * SECOND
    expected = register_interval_schedules(start, end, kinds)
    args = ("--heartbeat-timeout", REPLICA_HEARTBEAT_TIMEOUT)
    live = [fleet.scheduler(f"replica{i}", *args) for i in range(replicas)]
    deadline = time.monotonic() + chaos_seconds
    kills = 0
    while True:
        time.sleep(rng.uniform(0.3, 2.5))
        if time.monotonic() >= deadline:
            break
        i = rng.randrange(replicas)
        assert live[i].popen.poll() is None, (
            f"{live[i].label} exited by itself with {live[i].popen.returncode}\n{log_tail(env)}")
        fleet.kill(live[i])
        kills += 1
        time.sleep(rng.uniform(0.0, 0.7))
        live[i] = fleet.scheduler(f"replica{i}", *args)
    # The last crash takes every replica down at once; one more scheduler finishes the work.
    for proc in live:
        fleet.kill(proc)
    t_final = time.monotonic()
    last = fleet.scheduler("final", "--exit-when-idle", *args)
    # Bounded: a lease held by a killed replica expires after 30s, a run it left `starting`
    # is queued again after the heartbeat timeout, then the backlog runs.
    code = wait_exit(last, 150, env)
    assert code == 0, f"the final scheduler exited with {code}\n{log_tail(env)}"
    print(f"{kills} crashes; the final scheduler took {time.monotonic() - t_final:.1f}s")
    assert kills >= 3, f"only {kills} crashes happened (seed {seed})"
    check_exactly_once(env, expected)
    with env.store.read() as conn:
        states = conn.execute(select(t.schedules.c.name, t.schedules.c.state,
                                     t.schedules.c.lease_owner)).all()
    assert all(s.state == "completed" and s.lease_owner is None for s in states), states
    check_max_active(env, {name: m for name, (overlap, m) in zip(expected, kinds, strict=True)
                           if overlap != "allow"})


@pytest.mark.slow
@pytest.mark.postgres
def test_three_replicas_crashing_on_postgres_fire_every_tick_once(
        pg_env: Env, fleet: Fleet) -> None:
    """Three replicas on one PostgreSQL schema, SIGKILLed at random and restarted."""
    crash_and_restart(pg_env, fleet, replicas=3,
                      kinds=[("queue", 1), ("allow", 1), ("queue", 2)],
                      ticks=10, chaos_seconds=18)


@pytest.mark.slow
def test_two_replicas_crashing_on_one_sqlite_file_fire_every_tick_once(
        sqlite_file_env: Env, fleet: Fleet) -> None:
    """Two replicas on one SQLite file, SIGKILLed at random and restarted."""
    crash_and_restart(sqlite_file_env, fleet, replicas=2,
                      kinds=[("queue", 1), ("allow", 1), ("queue", 2)],
                      ticks=8, chaos_seconds=14)


class StartsNothing:
    """An executor that records the runs it is asked to start and starts nothing."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, run_id: str) -> None:
        self.started.append(run_id)


@pytest.mark.postgres
def test_replicas_dispatching_at_the_same_moment_respect_max_active_runs(pg_env: Env) -> None:
    """The deterministic form of ``check_max_active`` above. A finished worker wakes every
    replica at once, so replicas dispatch at the same moment. Here replica A is held right
    after it moved the oldest queued run to ``starting`` (not committed yet) until replica B,
    dispatching meanwhile, waits on A's lock; then A commits. With max_active_runs=1, one run
    of the schedule may be starting, not two."""
    start = datetime.now(UTC).replace(microsecond=0) - 10 * SECOND
    end = start + 2 * SECOND
    replica_tick.with_options(schedule=Schedule(
        name="one-at-a-time", start_time=start, end_time=end, interval_second=1,
        catchup=True, max_active_runs=1))()
    assert Schedules(pg_env.store).backfill("one-at-a-time", start, end).created == 3
    store_a, store_b = Store(pg_env.url), Store(pg_env.url)
    replica_a = SchedulerService(store_a, executor=StartsNothing(), owner="replica-a")
    replica_b = SchedulerService(store_b, executor=StartsNothing(), owner="replica-b")
    a_claimed, b_done = threading.Event(), threading.Event()

    def hold_a_after_its_first_claim(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if a_claimed.is_set() or not statement.lstrip().upper().startswith("UPDATE RUNS"):
            return
        with conn.connection.dbapi_connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            a_pid = int(cur.fetchone()[0])
        a_claimed.set()
        deadline = time.monotonic() + 30
        while not b_done.is_set() and time.monotonic() < deadline:
            with pg_env.store.read() as watch:
                if watch.execute(text("SELECT count(*) FROM pg_stat_activity "
                                      "WHERE :a = ANY(pg_blocking_pids(pid))"),
                                 {"a": a_pid}).scalar_one():
                    return  # B waits on A
            time.sleep(0.05)

    errors: list[BaseException] = []

    def dispatch(replica: SchedulerService, done: threading.Event | None = None) -> None:
        try:
            replica.dispatch(datetime.now(UTC))
        except BaseException as err:  # re-raised in the test's thread
            errors.append(err)
        finally:
            a_claimed.set()
            if done is not None:
                done.set()

    event.listen(store_a.engine, "after_cursor_execute", hold_a_after_its_first_claim)
    try:
        thread_a = threading.Thread(target=dispatch, args=(replica_a,))
        thread_a.start()
        assert a_claimed.wait(30)
        thread_b = threading.Thread(target=dispatch, args=(replica_b, b_done))
        thread_b.start()
        thread_a.join(60)
        thread_b.join(60)
        assert not (thread_a.is_alive() or thread_b.is_alive()), "a dispatch hangs"
    finally:
        store_a.close()
        store_b.close()
    if errors:
        raise errors[0]
    statuses = [(r.nominal_at.isoformat(), r.status) for r in all_runs(pg_env)]
    starting = [n for n, status in statuses if status == "starting"]
    assert len(starting) == 1, (
        f"max_active_runs=1 but two replicas dispatching at once moved {len(starting)} runs to "
        f"starting: {statuses}. Each replica counted the busy runs before the other committed "
        "(READ COMMITTED); dispatch must not start a run the limit leaves no slot for")


# -- 3: a worker killed in the middle of a step --------------------------------------------------

def start_slow_run(env: Env, fleet: Fleet, *args: str) -> tuple[Proc, str, int]:
    """Register a run-once schedule of ``prepare_then_sleep`` and start a scheduler; return it,
    the run id and the worker's PID once the worker is inside the sleeping step."""
    prepare_then_sleep.with_options(schedule=Schedule(
        name="sleepy", run_once_start_time=datetime.now(UTC)))()
    env.children[SLOW_SECONDS_ENV] = "120"
    scheduler = fleet.scheduler("spawner", *args)
    found: dict[str, Any] = {}

    def in_slow_step() -> bool:
        runs = all_runs(env)
        if not runs or not runs[0].worker_pid:
            return False
        found["run"] = runs[0]
        slow_step = step_runs(env, runs[0].id).get("slow")
        return slow_step is not None and slow_step.status == RUNNING

    wait_until(in_slow_step, 60, "the worker is inside the sleeping step", env)
    run = found["run"]
    assert worker_processes({run.id}) == {run.worker_pid: run.id}
    return scheduler, run.id, int(run.worker_pid)


def check_lost_run(env: Env, run_id: str) -> None:
    run = env.store.get_run(run_id)
    assert (run.status, run.error) == (FAILED, "worker lost")
    # The step that finished keeps its artifact; the one that was cut short is failed.
    assert run.steps["prepare"].status == COMPLETED
    assert load_artifact(run.steps["prepare"].outputs["output"]) == [1, 2, 3]
    assert run.steps["slow"].outputs == {}
    assert (run.steps["slow"].status, run.steps["slow"].error) == (FAILED, "worker lost"), (
        "BUG (src): the run is failed but its interrupted step run is left "
        f"{run.steps['slow'].status!r} (error {run.steps['slow'].error!r}): "
        "SchedulerService._worker_exited -> ScheduleStore.fail_run_if_active updates only "
        "runs, unlike ScheduleStore.reap, which also fails the run's running step_runs")


def test_worker_killed_mid_step_is_failed_by_the_scheduler_that_spawned_it(
        any_env: Env, fleet: Fleet) -> None:
    """The scheduler that spawned the worker sees it exit on SIGKILL and fails its run."""
    # The reaper is kept out of it: the heartbeat timeout is far beyond the wait below.
    scheduler, run_id, worker = start_slow_run(any_env, fleet, "--heartbeat-timeout", "600")
    os.kill(worker, signal.SIGKILL)
    wait_until(lambda: any_env.store.get_run(run_id).status != RUNNING, 60,
               "the spawning scheduler notices its worker died", any_env)
    assert not worker_processes({run_id})
    assert scheduler.popen.poll() is None, "the scheduler must survive its worker"
    check_lost_run(any_env, run_id)
    assert fleet.kill(scheduler, signal.SIGTERM) == 0


def test_worker_killed_mid_step_is_reaped_by_another_scheduler(
        any_env: Env, fleet: Fleet) -> None:
    """Scheduler and worker both SIGKILLed: a new scheduler fails the run once its heartbeat
    is older than the timeout."""
    scheduler, run_id, worker = start_slow_run(any_env, fleet)
    # The spawning scheduler dies first, so nobody sees the worker exit.
    fleet.kill(scheduler)
    os.kill(worker, signal.SIGKILL)
    time.sleep(1.5)
    run = any_env.store.get_run(run_id)
    assert run.status == RUNNING, "nobody but a reaper should have touched the run yet"
    timeout = 3
    other = fleet.scheduler("reaper", "--heartbeat-timeout", str(timeout))
    wait_until(lambda: any_env.store.get_run(run_id).status != RUNNING, 60,
               f"a scheduler that did not spawn the worker reaps it ({timeout}s timeout)",
               any_env)
    check_lost_run(any_env, run_id)
    with any_env.store.read() as conn:
        row = conn.execute(select(t.runs.c.heartbeat_at, t.runs.c.ended_at)
                           .where(t.runs.c.id == run_id)).one()
    # The reaper waited for the heartbeat timeout: it did not fail a run that might be alive.
    assert row.ended_at - row.heartbeat_at >= timedelta(seconds=timeout)
    assert fleet.kill(other, signal.SIGTERM) == 0


# -- 4: SIGTERM ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_sigterm_stops_cleanly_and_a_restart_resumes_exactly(any_env: Env, fleet: Fleet) -> None:
    """SIGTERM: exit 0, leases released; a scheduler started later runs the ticks that came
    due meanwhile (catch-up) and every other one, each once."""
    start = datetime.now(UTC).replace(microsecond=0) - SECOND
    end = start + 6 * SECOND
    expected = register_interval_schedules(start, end, [("queue", 1)])
    (name,) = expected
    first = fleet.scheduler("first")

    def handled() -> list[datetime]:
        return [tk.nominal_at for tk in all_ticks(any_env)]

    wait_until(lambda: len(handled()) >= 2, 60, "the first scheduler handled 2 ticks", any_env)
    code = fleet.kill(first, signal.SIGTERM, timeout=30)
    assert code == 0, f"SIGTERM: exit code {code}\n{log_tail(any_env)}"
    with any_env.store.read() as conn:
        leases = conn.execute(select(t.schedules.c.lease_owner)).scalars().all()
    assert leases == [None], "the stopped scheduler kept its lease"
    log = first.log.read_text(errors="replace")
    assert "stopped" in log and "Traceback" not in log, log
    before = handled()
    # A prefix of the ticks, without a hole: nothing was skipped before the stop.
    assert before == expected[name][:len(before)]
    time.sleep(2)  # ticks come due while no scheduler runs
    second = fleet.scheduler("second", "--exit-when-idle")
    assert wait_exit(second, 120, any_env) == 0, log_tail(any_env)
    check_exactly_once(any_env, expected)
