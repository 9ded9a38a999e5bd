"""Prefect 3's side of the benchmark: the same 3-step pipeline and n-step chain as sundial's.

Tasks in a flow, run in this process against Prefect's own local store (the ephemeral API over
SQLite under ``$PREFECT_HOME``), so that flow and task runs are recorded as sundial's are. Task
results are persisted (``persist_result=True``, local file storage) as sundial's, ZenML's and
Dagster's outputs are; caching is off (``cache_policy=NONE``). Run by
``bench/pipeline_overhead.py``; see ``_harness.py`` for the command line.
"""

from __future__ import annotations

import time

_START = time.perf_counter()
from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NONE  # noqa: E402

_IMPORT = time.perf_counter() - _START

from _harness import Runner, main  # noqa: E402

TASK = {"persist_result": True, "cache_policy": NONE}


@task(**TASK)
def load() -> int:
    return 1


@task(**TASK)
def transform(x: int) -> int:
    return x + 1


@task(**TASK)
def save(x: int) -> None:
    return None


@flow(persist_result=True)
def three_steps() -> None:
    save(transform(load()))


@task(**TASK)
def start() -> int:
    return 0


@task(**TASK)
def noop(x: int) -> int:
    return x


@flow(persist_result=True)
def chain(steps: int = 100) -> None:
    x = start()
    for _ in range(steps - 1):
        x = noop(x)


def trivial() -> Runner:
    return three_steps


def make_chain(steps: int) -> Runner:
    return lambda: chain(steps=steps)


if __name__ == "__main__":
    main(_IMPORT, trivial, make_chain)
