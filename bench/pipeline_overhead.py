#!/usr/bin/env python3
"""How much does sundial cost around the user's code, next to ZenML and Dagster? (issue #2)

Three figures per framework, each from fresh processes in a fresh, isolated home:

1. ``import``: seconds spent in ``import <framework>``, timed inside a fresh interpreter (median).
2. 3-step pipeline, whole process: wall time of ``python <script> trivial`` (import, define, run a
   3-step pipeline with caching off, record it in the store, exit). One untimed warm-up, then the
   first run in a fresh home (reported apart), then the median of N runs against that same home.
3. 100-step chain, in process: one process defines a chain of 100 no-op steps and runs it 1 + R
   times; ms/step is a run's wall time divided by 100 (median of the R runs; the first run, which
   pays lazy imports and first use of the store, is reported apart).

The peers (``zenml[local]==0.98.0`` and ``dagster`` 1.13.x) are installed on first use into their
own virtualenvs under ``bench/.peers/`` with ``python -m venv`` and pip. Their pipeline scripts live
in ``bench/peers/``. A benchmark prints; it never asserts.

    .venv/bin/python bench/pipeline_overhead.py [--quick] [--no-peers] [--json out.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
SCRIPTS = BENCH / "peers"
PEER_ENVS = BENCH / ".peers"
RESULT_PREFIX = "BENCH_RESULT "
MARKER = ".bench-installed"
CHILD_TIMEOUT = 900.0
INSTALL_TIMEOUT = 1800.0

# Environment variables that would change what a child process does or where it keeps its state.
ENV_PREFIXES_DROPPED = ("SUNDIAL_", "ZENML_", "DAGSTER_", "PREFECT_")
ENV_DROPPED = ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONDEVMODE",
               "PYTHONTRACEMALLOC", "PYTHONASYNCIODEBUG", "PYTHONSTARTUP")

# What sundial's store cannot do without, the floor under the whole-process figures: SQLAlchemy,
# its SQLite dialect and the driver (about 0.9 G instructions before sundial does anything).
SQLA_FLOOR = "import sqlalchemy, sqlalchemy.dialects.sqlite, sqlite3"

IMPORT_SNIPPET = """\
import time
_t = time.perf_counter()
import {module}
_t = time.perf_counter() - _t
import json
print({prefix!r} + json.dumps({{"import": _t}}), flush=True)
"""

ZENML_INIT = "from zenml.client import Client; Client().active_stack_model"


class BenchError(Exception):
    """A child process failed; the message says which and how."""


# -- frameworks ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reps:
    """Repetitions: fresh processes for ``import``, whole-process runs, in-process chain runs."""

    imports: int
    process: int
    chain: int


@dataclass
class Framework:
    name: str
    module: str                      # what the import figure imports
    dist: str                        # distribution whose version is reported
    script: Path
    reps: Reps
    env_for: Callable[[Path], dict[str, str]]
    init: Callable[[Framework, Path], None] = lambda fw, home: None
    python: Path = Path(sys.executable)
    version: str = "?"


@dataclass
class Figures:
    import_s: list[float] = field(default_factory=list)
    process_first_s: float | None = None
    process_s: list[float] = field(default_factory=list)
    process_cpu_s: list[float] = field(default_factory=list)
    process_import_s: list[float] = field(default_factory=list)
    process_run_s: list[float] = field(default_factory=list)
    chain_steps: int = 0
    chain_first_s: float | None = None
    chain_s: list[float] = field(default_factory=list)
    chain_cpu_s: list[float] = field(default_factory=list)
    baseline_s: list[float] = field(default_factory=list)      # `python -c pass`
    baseline_cpu_s: list[float] = field(default_factory=list)
    sqla_s: list[float] = field(default_factory=list)          # `python -c SQLA_FLOOR` (sundial)
    sqla_cpu_s: list[float] = field(default_factory=list)
    step_s: list[float] = field(default_factory=list)          # `sundial step run` (sundial)
    step_cpu_s: list[float] = field(default_factory=list)
    fsyncs: str = "not measured"
    errors: list[str] = field(default_factory=list)


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(ENV_PREFIXES_DROPPED) and k not in ENV_DROPPED}


def sundial_env(home: Path) -> dict[str, str]:
    return {"SUNDIAL_HOME": str(home / "sundial")}


def zenml_env(home: Path) -> dict[str, str]:
    # Its own global config and local stores (SQLite store + artifact store) under the temp home;
    # no analytics. Its default logging (including step-log storage) stays on.
    return {
        "ZENML_CONFIG_PATH": str(home / "zenml-config"),
        "ZENML_LOCAL_STORES_PATH": str(home / "zenml-stores"),
        "ZENML_ANALYTICS_OPT_IN": "false",
        "ZENML_ENABLE_RICH_TRACEBACK": "false",
        "ZENML_LOGGING_COLORS_DISABLED": "true",
        "ZENML_ENABLE_REPO_INIT_WARNINGS": "false",
        "ZENML_AUTO_OPEN_DASHBOARD": "false",
    }


def zenml_init(fw: Framework, home: Path) -> None:
    """Create ZenML's local store (database tables, default project and stack) before timing."""
    run_child(fw, ["-c", ZENML_INIT], home, expect_result=False)


def dagster_env(home: Path) -> dict[str, str]:
    return {"DAGSTER_HOME": str(home / "dagster")}


def prefect_env(home: Path) -> dict[str, str]:
    # Its own home (the local SQLite database of the ephemeral API, result storage); no
    # analytics; no UI banner.
    return {
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
        # Its ephemeral API server starts in a subprocess; on a busy machine the default
        # 20 s to answer is not always enough.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
    }


def dagster_init(fw: Framework, home: Path) -> None:
    """An instance folder with telemetry off; Dagster creates its SQLite storage on first run."""
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")


@dataclass(frozen=True)
class PeerSpec:
    name: str
    folder: str
    requirement: str
    module: str
    dist: str
    script: str
    reps: Reps
    quick: Reps
    env_for: Callable[[Path], dict[str, str]]
    init: Callable[[Framework, Path], None]


PEERS = (
    PeerSpec("ZenML", "zenml", "zenml[local]==0.98.0", "zenml", "zenml", "zenml_pipelines.py",
             reps=Reps(imports=5, process=5, chain=2), quick=Reps(imports=3, process=2, chain=1),
             env_for=zenml_env, init=zenml_init),
    PeerSpec("Dagster", "dagster", "dagster>=1.13,<1.14", "dagster", "dagster",
             "dagster_pipelines.py",
             reps=Reps(imports=7, process=7, chain=3), quick=Reps(imports=3, process=3, chain=1),
             env_for=dagster_env, init=dagster_init),
    PeerSpec("Prefect", "prefect", "prefect==3.9.1", "prefect", "prefect",
             "prefect_pipelines.py",
             reps=Reps(imports=5, process=5, chain=2), quick=Reps(imports=3, process=2, chain=1),
             env_for=prefect_env, init=lambda fw, home: None),
)


# -- running children ---------------------------------------------------------------------------
def run_child(fw: Framework, args: list[str], home: Path, *,
              expect_result: bool = True) -> tuple[float, dict[str, Any]]:
    """Run ``fw.python *args`` in ``home``; return its wall time and its BENCH_RESULT payload,
    to which the child's CPU time (user + system, all its threads) is added as ``_cpu``."""
    home.mkdir(parents=True, exist_ok=True)
    env = base_env() | fw.env_for(home)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc = subprocess.run([str(fw.python), *args], cwd=home, env=env, capture_output=True,
                              text=True, timeout=CHILD_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{fw.name}: {' '.join(args[:2])} took over {CHILD_TIMEOUT:.0f} s") \
            from None
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        tail = "\n    ".join((proc.stderr or proc.stdout).strip().splitlines()[-12:])
        raise BenchError(f"{fw.name}: `{' '.join(args[:3])}` exited {proc.returncode}:\n    {tail}")
    payload: dict[str, Any] = {}
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            payload = json.loads(line[len(RESULT_PREFIX):])
    if expect_result and not payload:
        raise BenchError(f"{fw.name}: `{' '.join(args[:3])}` printed no {RESULT_PREFIX.strip()}")
    payload["_cpu"] = cpu
    return wall, payload


def count_fsyncs(fw: Framework, home: Path) -> str:
    """The sync system calls (fsync, fdatasync, sync_file_range, msync) of one 3-step run of
    ``fw`` in ``home``, all threads and child processes, counted by strace."""
    home.mkdir(parents=True, exist_ok=True)
    out = home / "strace.txt"
    env = base_env() | fw.env_for(home)
    try:
        proc = subprocess.run(
            ["strace", "-f", "-c", "-o", str(out),
             "-e", "trace=fsync,fdatasync,sync_file_range,msync",
             str(fw.python), str(fw.script), "trivial"],
            cwd=home, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT,
            check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"not measured ({err})"
    if proc.returncode != 0 or not out.exists():
        return f"not measured (strace exited {proc.returncode})"
    counts = {}
    for line in out.read_text().splitlines():
        parts = line.split()
        if parts and parts[-1] in ("fsync", "fdatasync", "sync_file_range", "msync"):
            counts[parts[-1]] = int(parts[3])
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none"


class Bench:
    """Runs the figures of several frameworks, interleaved so that a change of machine load
    during the benchmark hits every framework alike. A failing figure is recorded, not raised."""

    def __init__(self, frameworks: list[Framework], chain_steps: int, scratch: Path,
                 smoke: bool = False) -> None:
        self.smoke = smoke
        self.frameworks = frameworks
        self.chain_steps = chain_steps
        self.scratch = scratch
        self.figures = {fw.name: Figures(chain_steps=chain_steps) for fw in frameworks}
        self.broken: set[str] = set()

    def home(self, fw: Framework, purpose: str) -> Path:
        return self.scratch / f"{fw.name}-{purpose}"

    def attempt(self, fw: Framework, label: str, action: Callable[[], None]) -> None:
        if fw.name in self.broken:
            return
        try:
            action()
        except BenchError as err:
            self.figures[fw.name].errors.append(str(err))
            self.broken.add(fw.name)
            print(f"  {fw.name}: {label} FAILED; skipping its other figures\n    {err}",
                  flush=True)

    def round_robin(self, label: str, count: Callable[[Framework], int],
                    action: Callable[[Framework], None]) -> None:
        print(f"  {label} ...", flush=True)
        for i in range(max(count(fw) for fw in self.frameworks)):
            for fw in self.frameworks:
                if i < count(fw):
                    self.attempt(fw, label, functools.partial(action, fw))

    def run(self) -> dict[str, Figures]:
        def warm_up(fw: Framework) -> None:
            # Compiles bytecode and warms the page cache, so timed runs compare steady states;
            # the warm-up home (store initialised, one run made) then serves the import figure.
            fw.init(fw, self.home(fw, "warmup"))
            run_child(fw, [str(fw.script), "trivial"], self.home(fw, "warmup"))
            run_child(fw, ["-c", import_snippet(fw)], self.home(fw, "warmup"))

        def one_import(fw: Framework) -> None:
            _, payload = run_child(fw, ["-c", import_snippet(fw)], self.home(fw, "warmup"))
            self.figures[fw.name].import_s.append(payload["import"])

        def first_process(fw: Framework) -> None:
            home = self.home(fw, "process")
            fw.init(fw, home)
            self.figures[fw.name].process_first_s, _ = run_child(
                fw, [str(fw.script), "trivial"], home)

        def one_process(fw: Framework) -> None:
            fig = self.figures[fw.name]
            # The bare interpreter, right before: the floor every figure is read against.
            wall, payload = run_child(fw, ["-c", "pass"], self.home(fw, "process"),
                                      expect_result=False)
            fig.baseline_s.append(wall)
            fig.baseline_cpu_s.append(payload["_cpu"])
            if fw.name == "sundial":  # and what sundial's store cannot do without
                wall, payload = run_child(fw, ["-c", SQLA_FLOOR], self.home(fw, "process"),
                                          expect_result=False)
                fig.sqla_s.append(wall)
                fig.sqla_cpu_s.append(payload["_cpu"])
            wall, payload = run_child(fw, [str(fw.script), "trivial"], self.home(fw, "process"))
            fig.process_s.append(wall)
            fig.process_cpu_s.append(payload["_cpu"])
            fig.process_import_s.append(payload["import"])
            fig.process_run_s.append(payload["run"])

        def chain(fw: Framework) -> None:
            home = self.home(fw, "chain")
            fw.init(fw, home)
            _, payload = run_child(
                fw, [str(fw.script), "chain", str(self.chain_steps), str(fw.reps.chain)], home)
            fig = self.figures[fw.name]
            fig.chain_first_s = payload["first"]
            fig.chain_s = list(payload["runs"])
            fig.chain_cpu_s = list(payload.get("runs_cpu", []))

        self.round_robin("warm-up (one 3-step run each)", lambda fw: 1, warm_up)
        self.round_robin("import <framework>, fresh processes", lambda fw: fw.reps.imports,
                         one_import)
        self.round_robin("3-step pipeline: first run in a fresh home", lambda fw: 1,
                         first_process)
        self.round_robin("3-step pipeline: whole-process runs", lambda fw: fw.reps.process,
                         one_process)
        def step_process(fw: Framework) -> None:
            # What a remote backend pays per step: one process running one step of a run,
            # created on first use from the version the 3-step runs recorded (version 1).
            fig = self.figures[fw.name]
            n = len(fig.step_s)
            wall, payload = run_child(fw, [
                "-c", "from sundial.cli import main; main()", "step", "run", "load",
                "--version-id", "1", "--external-id", f"bench-{n}"],
                self.home(fw, "process"), expect_result=False)
            fig.step_s.append(wall)
            fig.step_cpu_s.append(payload["_cpu"])

        def fsyncs(fw: Framework) -> None:
            home = self.home(fw, "fsync")
            fw.init(fw, home)
            self.figures[fw.name].fsyncs = count_fsyncs(fw, home)

        self.round_robin(f"{self.chain_steps}-step chain in one process", lambda fw: 1, chain)
        self.round_robin("`sundial step run`, whole process",
                         lambda fw: fw.reps.process if fw.name == "sundial" else 0,
                         step_process)
        if shutil.which("strace") and not self.smoke:
            self.round_robin("fsync calls of one 3-step run (strace)", lambda fw: 1, fsyncs)
        return self.figures


def import_snippet(fw: Framework) -> str:
    return IMPORT_SNIPPET.format(module=fw.module, prefix=RESULT_PREFIX)


# -- peers: install on first use ----------------------------------------------------------------
def dist_version(python: Path, dist: str) -> str:
    try:
        out = subprocess.run(
            [str(python), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
            capture_output=True, text=True, timeout=120, check=True)
    except (subprocess.SubprocessError, OSError):
        return "?"
    return out.stdout.strip() or "?"


def ensure_peer(spec: PeerSpec) -> Path | None:
    """The peer's interpreter, installing it first if needed; None (and a message) on failure."""
    venv = PEER_ENVS / spec.folder
    python = venv / "bin" / "python"
    marker = venv / MARKER
    if python.exists() and marker.exists() and marker.read_text().strip() == spec.requirement:
        return python
    print(f"installing {spec.requirement} into {venv.relative_to(BENCH.parent)} "
          "(one-off, a few minutes) ...", flush=True)
    if venv.exists():
        shutil.rmtree(venv)        # a half-made or outdated environment
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"],
        [str(python), "-m", "pip", "install", "-q", spec.requirement],
    ]
    for cmd in steps:
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                                  check=False)
        except (subprocess.TimeoutExpired, OSError) as err:
            print(f"  could not install {spec.name}: {err}", flush=True)
            return None
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if "is ignored" not in ln]
            tail = "\n    ".join(lines[-10:])
            print(f"  could not install {spec.name}: `{' '.join(cmd[-3:])}` exited "
                  f"{proc.returncode}\n    {tail}", flush=True)
            return None
    marker.write_text(spec.requirement + "\n")
    return python


# -- report -------------------------------------------------------------------------------------
def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def ms(x: float | None, digits: int = 0) -> str:
    return "-" if x is None else f"{x * 1000:,.{digits}f}"


def ratio(ours: float | None, theirs: float | None) -> str:
    """How many times the peer's figure is sundial's: '30x' means sundial takes 1/30 the time."""
    if ours is None or theirs is None or ours <= 0:
        return "-"
    r = theirs / ours
    return f"{r:,.1f}x" if r < 100 else f"{r:,.0f}x"


@dataclass(frozen=True)
class Row:
    label: str
    value: Callable[[Figures], float | None]
    digits: int = 0
    ratio: bool = True


def per_step(x: float | None, steps: int) -> float | None:
    return None if x is None or steps == 0 else x / steps


def rows(reps_note: str, steps: int) -> list[Row]:
    return [
        Row(f"import <framework>, ms (median{reps_note})",
            lambda f: median(f.import_s), 1),
        Row(f"3-step pipeline, whole process, ms (median{reps_note})",
            lambda f: median(f.process_s)),
        Row("  CPU time of those processes, ms (median)",
            lambda f: median(f.process_cpu_s)),
        Row("  first run in a fresh home, ms",
            lambda f: f.process_first_s),
        Row("  in that process: import, ms (median)",
            lambda f: median(f.process_import_s), 0, False),
        Row("  in that process: pipeline call, ms (median)",
            lambda f: median(f.process_run_s), 0, False),
        Row("  python -c pass (the floor), same moments, ms (median)",
            lambda f: median(f.baseline_s), 0, False),
        Row("  python -c 'import sqlalchemy, its SQLite dialect, sqlite3', ms (median)",
            lambda f: median(f.sqla_s), 0, False),
        Row("  sundial step run (one step, whole process), ms (median)",
            lambda f: median(f.step_s), 0, False),
        Row("    CPU time of those processes, ms (median)",
            lambda f: median(f.step_cpu_s), 0, False),
        Row(f"{steps}-step chain in process, ms/step (median{reps_note})",
            lambda f: per_step(median(f.chain_s), f.chain_steps), 2),
        Row("  CPU time of those runs, ms/step (median)",
            lambda f: per_step(median(f.chain_cpu_s), f.chain_steps), 2),
        Row("  first run in the process, ms/step",
            lambda f: per_step(f.chain_first_s, f.chain_steps), 2),
    ]


def print_report(results: list[tuple[Framework, Figures]], steps: int, missing: list[str]) -> None:
    ours = results[0][1]
    peers = results[1:]
    table = rows(" of N runs", steps)
    headers = ["figure", *(fw.name for fw, _ in results),
               *(f"{fw.name}/sundial" for fw, _ in peers)]
    body: list[list[str]] = []
    for row in table:
        cells = [row.label]
        cells += [ms(row.value(f), row.digits) for _, f in results]
        cells += [ratio(row.value(ours), row.value(f)) if row.ratio else "" for _, f in peers]
        body.append(cells)
    widths = [max(len(r[i]) for r in [headers, *body]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    print()
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for cells in body:
        print(line(cells))
    print()
    print("N = " + ", ".join(
        f"{fw.name}: import {fw.reps.imports}, process {fw.reps.process}, chain {fw.reps.chain}"
        for fw, _ in results))
    print("Ratio columns: the peer's figure divided by sundial's (30x = sundial takes 1/30 of it).")
    print("Goals are judged on wall time; on a busy machine (see the load average) CPU time,")
    print("shown beside them, is the steadier figure.")
    for name in missing:
        print(f"{name}: not measured (not installed; see above).")

    print()
    print("Goals (issue 15), with the load average printed above:")
    for fw, f in results[1:]:
        factor = {"ZenML": 20, "Dagster": 6}.get(fw.name)
        if factor:
            line = goal_vs_peer(f"3-step pipeline, whole process >= {factor}x {fw.name}",
                                median(ours.process_s), median(f.process_s), factor)
            ours_cpu, their_cpu = median(ours.process_cpu_s), median(f.process_cpu_s)
            if ours_cpu and their_cpu:
                line += f" [CPU time: {their_cpu / ours_cpu:.1f}x]"
            print("  " + line)
    print("  " + over_floor("3-step pipeline, whole process", ours.process_s, ours.process_cpu_s,
                            ours.baseline_s, ours.baseline_cpu_s, 0.150))
    print("  " + over_floor("sundial step run, whole process", ours.step_s, ours.step_cpu_s,
                            ours.baseline_s, ours.baseline_cpu_s, 0.200))
    sqla, base = median(ours.sqla_s), median(ours.baseline_s)
    if sqla is not None and base is not None:
        print(f"  (the floor under both: python + SQLAlchemy + SQLite = {ms(sqla)} ms, "
              f"{(sqla - base) * 1000:.0f} ms over python -c pass; above it: 3-step "
              f"{over_ms(ours.process_s, sqla)}, step run {over_ms(ours.step_s, sqla)})")
    ours_step = per_step(median(ours.chain_s), ours.chain_steps)
    if ours_step is None:
        print("  in process <= 1 ms/step: not measured")
    else:
        verdict = "met" if ours_step <= 0.001 else "NOT met"
        cpu_step = per_step(median(ours.chain_cpu_s), ours.chain_steps)
        cpu = "" if cpu_step is None else f" [CPU time: {cpu_step * 1000:.2f} ms/step]"
        print(f"  {ours.chain_steps}-step chain in process <= 1 ms/step: "
              f"{ours_step * 1000:.2f} ms/step -> {verdict}{cpu}")
    print()
    print("What each fsyncs in one 3-step run (strace -f -c; sync system calls, all threads):")
    for fw, f in results:
        print(f"  {fw.name}: {f.fsyncs}")
    print("  sundial: SQLite in WAL mode, synchronous=NORMAL for run and step writes (no fsync "
          "at commit;\n  a machine crash may lose the last commits, never corrupt the file); "
          "its scheduler's dispatching\n  commit is FULL (fsynced). The peers run with their "
          "own defaults; bench/README.md says what those are.")
    for fw, f in results:
        for err in f.errors:
            print(f"\n{fw.name} error: {err}")


def over_ms(walls: list[float], floor: float) -> str:
    ours = median(walls)
    return "not measured" if ours is None else f"{(ours - floor) * 1000:.0f} ms"


def over_floor(label: str, walls: list[float], cpus: list[float], floor: list[float],
               floor_cpu: list[float], limit: float) -> str:
    """``label``'s median over the bare interpreter's (``python -c pass``), against ``limit``."""
    ours, base = median(walls), median(floor)
    if ours is None or base is None:
        return f"{label} <= {limit * 1000:.0f} ms over python -c pass: not measured"
    over = ours - base
    verdict = "met" if over <= limit else "NOT met"
    cpu, base_cpu = median(cpus), median(floor_cpu)
    cpu_note = "" if cpu is None or base_cpu is None else \
        f" [CPU time: {(cpu - base_cpu) * 1000:.0f} ms over]"
    return (f"{label} <= {limit * 1000:.0f} ms over python -c pass: {over * 1000:.0f} ms over "
            f"({ms(ours)} - {ms(base)} ms) -> {verdict}{cpu_note}")


def goal_vs_peer(label: str, ours: float | None, theirs: float | None, factor: float) -> str:
    if ours is None or theirs is None:
        return f"{label}: not measured"
    r = theirs / ours
    verdict = "met" if r >= factor else "NOT met"
    return f"{label}: 1/{r:.1f} ({ms(ours)} ms vs {ms(theirs)} ms) -> {verdict}"


def as_json(results: list[tuple[Framework, Figures]]) -> dict[str, Any]:
    out: dict[str, Any] = {"python": platform.python_version(), "frameworks": {}}
    for fw, f in results:
        out["frameworks"][fw.name] = {
            "version": fw.version,
            "import_ms": [x * 1000 for x in f.import_s],
            "process_first_ms": None if f.process_first_s is None else f.process_first_s * 1000,
            "process_ms": [x * 1000 for x in f.process_s],
            "process_cpu_ms": [x * 1000 for x in f.process_cpu_s],
            "process_import_ms": [x * 1000 for x in f.process_import_s],
            "process_run_ms": [x * 1000 for x in f.process_run_s],
            "chain_steps": f.chain_steps,
            "chain_first_ms": None if f.chain_first_s is None else f.chain_first_s * 1000,
            "chain_ms": [x * 1000 for x in f.chain_s],
            "chain_cpu_ms": [x * 1000 for x in f.chain_cpu_s],
            "errors": f.errors,
        }
    return out


def load_average() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "unknown"
    busy = " (busy machine: figures are noisier)" if one > 0.5 * (os.cpu_count() or 1) else ""
    return f"{one:.2f} (1 min), {five:.2f} (5 min){busy}"


# -- main ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--no-peers", action="store_true", help="measure sundial only")
    parser.add_argument("--smoke", action="store_true",
                        help="sundial only, one repetition of each figure and a 5-step chain: "
                        "checks that the benchmark still runs (what `make test` does)")
    parser.add_argument("--steps", type=int, default=100, help="length of the chain (100)")
    parser.add_argument("--json", type=Path, help="also write the raw timings to this file")
    args = parser.parse_args(argv)
    if args.smoke:
        args.no_peers, args.steps = True, 5

    frameworks = [Framework(
        name="sundial", module="sundial", dist="sundial", script=SCRIPTS / "sundial_pipelines.py",
        reps=Reps(imports=1, process=1, chain=1) if args.smoke
        else Reps(imports=5, process=3, chain=2) if args.quick
        else Reps(imports=15, process=10, chain=5),
        env_for=sundial_env)]
    missing: list[str] = []
    if not args.no_peers:
        PEER_ENVS.mkdir(parents=True, exist_ok=True)
        for spec in PEERS:
            python = ensure_peer(spec)
            if python is None:
                print(f"{spec.name} is not available; going on without it.", flush=True)
                missing.append(spec.name)
                continue
            frameworks.append(Framework(
                name=spec.name, module=spec.module, dist=spec.dist, script=SCRIPTS / spec.script,
                reps=spec.quick if args.quick else spec.reps, env_for=spec.env_for,
                init=spec.init, python=python))
    for fw in frameworks:
        fw.version = dist_version(fw.python, fw.dist)

    print(f"pipeline overhead benchmark - Python {platform.python_version()} on "
          f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")
    print("versions: " + ", ".join(f"{fw.name} {fw.version}" for fw in frameworks))

    print(f"load average before: {load_average()}")
    scratch = Path(tempfile.mkdtemp(prefix="sundial-bench-"))
    try:
        figures = Bench(frameworks, args.steps, scratch, smoke=args.smoke).run()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"load average after: {load_average()}")
    results = [(fw, figures[fw.name]) for fw in frameworks]

    print_report(results, args.steps, missing)
    if args.json:
        args.json.write_text(json.dumps(as_json(results), indent=2) + "\n")
        print(f"\nraw timings written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
