"""Dagster's side of the benchmark: the same 3-step pipeline and n-step chain as sundial's.

Ops in a job, run with ``execute_in_process`` against the instance of ``$DAGSTER_HOME`` (SQLite
run and event storage), so that runs are recorded as sundial's are. ``execute_in_process`` would
swap the default IO manager for an in-memory one; the jobs name ``fs_io_manager`` explicitly so
that outputs are persisted, as sundial's and ZenML's are. Run by ``bench/pipeline_overhead.py``;
see ``_harness.py`` for the command line.
"""

from __future__ import annotations

import functools
import time

_START = time.perf_counter()
from dagster import DagsterInstance, fs_io_manager, job, op  # noqa: E402

_IMPORT = time.perf_counter() - _START

from _harness import Runner, main  # noqa: E402

RESOURCES = {"io_manager": fs_io_manager}


@op
def load() -> int:
    return 1


@op
def transform(x: int) -> int:
    return x + 1


@op
def save(x: int) -> None:
    return None


@job(resource_defs=RESOURCES)
def three_steps() -> None:
    save(transform(load()))


@op
def start() -> int:
    return 0


@op
def noop(x: int) -> int:
    return x


@functools.cache
def instance() -> DagsterInstance:
    return DagsterInstance.get()


def trivial() -> Runner:
    return lambda: three_steps.execute_in_process(instance=instance())


def make_chain(steps: int) -> Runner:
    @job(name=f"chain_{steps}", resource_defs=RESOURCES)
    def chain() -> None:
        x = start()
        for i in range(1, steps):
            x = noop.alias(f"noop_{i}")(x)

    return lambda: chain.execute_in_process(instance=instance())


if __name__ == "__main__":
    main(_IMPORT, trivial, make_chain)
