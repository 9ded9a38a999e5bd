"""What the scheduler benchmarks share: the pipeline their schedules run, the table of figures
against goals, fresh homes and PostgreSQL schemas, executors that spawn nothing.

Helpers only (a leading underscore keeps it out of the benchmarks `make test` smoke-runs).
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import os
import pstats
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text, update

from sundial import pipeline, step
from sundial.scheduler.wake import wake_dir
from sundial.store import tables as t
from sundial.store.records import COMPLETED, STARTING
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


class PassAnatomy:
    """Where the wall time of each call of a method went, from the calling thread's
    ``/proc/self/task/<tid>/schedstat`` (Linux): on a CPU, runnable but waiting for one (the
    machine's other load), and the rest (I/O such as the fsync of a commit, locks, the GIL).
    """

    def __init__(self) -> None:
        self.calls: list[tuple[float, float, float]] = []  # (wall, on CPU, waiting for CPU)
        self._files: dict[int, int] = {}  # thread → its open schedstat (read again with pread)

    def _schedstat(self) -> tuple[float, float] | None:
        tid = threading.get_native_id()
        try:
            fd = self._files.get(tid)
            if fd is None:
                fd = self._files[tid] = os.open(f"/proc/self/task/{tid}/schedstat", os.O_RDONLY)
            on_cpu, waiting, _ = os.pread(fd, 256, 0).split()
        except OSError:
            return None
        return int(on_cpu) / 1e9, int(waiting) / 1e9

    def wrap(self, obj: object, method: str) -> None:
        inner = getattr(obj, method)

        def timed(*args: object, **kwargs: object) -> object:
            began, stat0 = time.perf_counter(), self._schedstat()
            try:
                return inner(*args, **kwargs)
            finally:
                stat1 = self._schedstat()
                if stat0 is not None and stat1 is not None:
                    self.calls.append((time.perf_counter() - began, stat1[0] - stat0[0],
                                       stat1[1] - stat0[1]))

        setattr(obj, method, timed)

    def close(self) -> None:
        for fd in self._files.values():
            os.close(fd)
        self._files.clear()

    def summary(self) -> str:
        """Mean wall, CPU, wait for a CPU and other waits of all calls, and of the slowest
        10 % and 1 % of them, in ms."""
        if not self.calls:
            return "no schedstat on this system"
        calls = sorted(self.calls)
        parts = []
        for label, share in (("all", 1.0), ("slowest 10 %", 0.1), ("slowest 1 %", 0.01)):
            part = calls[-max(1, round(len(calls) * share)):]
            wall, cpu, queued = (sum(c[i] for c in part) / len(part) * 1000 for i in range(3))
            parts.append(f"{label}: {wall:.1f} = CPU {cpu:.1f} + waiting for a CPU "
                         f"{queued:.1f} + I/O and locks {max(0.0, wall - cpu - queued):.1f}")
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


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"
