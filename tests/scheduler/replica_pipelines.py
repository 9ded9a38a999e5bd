"""Pipelines for the real-process scheduler tests (``test_replicas.py``).

Worker processes load them again from this file (the code reference stored with the pipeline
version), so the module imports nothing from the tests. Every step execution leaves a marker
file ``<run id>.<step>.<pid>`` in ``$SUNDIAL_TEST_MARK_DIR``: the tests count them to prove that
no run was executed by two workers.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from sundial import pipeline, step

MARK_DIR_ENV = "SUNDIAL_TEST_MARK_DIR"
SLOW_SECONDS_ENV = "SUNDIAL_TEST_SLOW_SECONDS"


def _mark(step_name: str) -> None:
    folder = os.environ.get(MARK_DIR_ENV)
    if not folder:
        return
    # A scheduled run executes in `python -m sundial.scheduler.worker RUN_ID`.
    run_id = sys.argv[-1] if "worker" in sys.argv[0] else "in-process"
    Path(folder, f"{run_id}.{step_name}.{os.getpid()}").touch()


@step(enable_cache=False)
def beat() -> int:
    _mark("beat")
    return os.getpid()


@pipeline(enable_cache=False)
def replica_tick() -> None:
    """One trivial step: the cheapest run a schedule can make."""
    beat()


@step(enable_cache=False)
def prepare() -> list[int]:
    _mark("prepare")
    return [1, 2, 3]


@step(enable_cache=False)
def slow(values: list[int]) -> int:
    _mark("slow")
    time.sleep(float(os.environ.get(SLOW_SECONDS_ENV, "120")))
    return sum(values)


@pipeline(enable_cache=False)
def prepare_then_sleep() -> None:
    """A first step that leaves an artifact, then a step that sleeps (to be killed in)."""
    slow(prepare())
