"""The one command line every pipeline script of the benchmark speaks.

``python <framework>_pipelines.py trivial``
    imports the framework, defines the 3-step pipeline and runs it once. The benchmark times the
    whole process from outside; the script also reports its own import and run time.
``python <framework>_pipelines.py chain STEPS REPEAT``
    defines a chain of STEPS no-op steps and runs it 1 + REPEAT times in this one process: the first
    run (which pays lazy imports and first use of the store) is reported apart from the REPEAT runs,
    whose CPU time (all threads of the process) is reported too.

Each prints one line ``BENCH_RESULT {json}`` on stdout, all times in seconds. Only the standard
library is imported here, so that the framework's import can be timed after this module's.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

RESULT_PREFIX = "BENCH_RESULT "

Runner = Callable[[], object]


def report(result: dict[str, Any]) -> None:
    sys.stdout.flush()
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def timed(fn: Runner, cpu: list[float] | None = None) -> float:
    """Wall time of ``fn()``; its CPU time (all threads of this process) is appended to ``cpu``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    fn()
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    return time.perf_counter() - start


def main(
    import_seconds: float,
    trivial: Callable[[], Runner],
    chain: Callable[[int], Runner],
    argv: list[str] | None = None,
) -> None:
    """Run the mode the command line names.

    ``trivial()`` returns a callable that runs the 3-step pipeline once; ``chain(n)`` returns one
    that runs the n-step chain once. Defining the pipelines happens in those factories, so that the
    ``trivial`` process never pays for defining the 100-step chain.
    """
    args = sys.argv[1:] if argv is None else argv
    mode = args[0] if args else "trivial"
    if mode == "trivial":
        run = trivial()
        report({"import": import_seconds, "run": timed(run)})
    elif mode == "chain":
        steps = int(args[1]) if len(args) > 1 else 100
        repeat = int(args[2]) if len(args) > 2 else 3
        run = chain(steps)
        first = timed(run)
        cpu: list[float] = []
        runs = [timed(run, cpu) for _ in range(repeat)]
        report({"import": import_seconds, "steps": steps, "first": first, "runs": runs,
                "runs_cpu": cpu})
    else:
        raise SystemExit(f"unknown mode {mode!r}: use 'trivial' or 'chain STEPS REPEAT'")
