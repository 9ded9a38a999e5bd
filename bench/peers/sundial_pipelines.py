"""sundial's side of the benchmark: the 3-step pipeline and the n-step chain of no-op steps.

Run by ``bench/pipeline_overhead.py``; see ``_harness.py`` for the command line.
"""

from __future__ import annotations

import time

_START = time.perf_counter()
from sundial import pipeline, step  # noqa: E402

_IMPORT = time.perf_counter() - _START

from _harness import Runner, main  # noqa: E402


@step
def load() -> int:
    return 1


@step
def transform(x: int) -> int:
    return x + 1


@step
def save(x: int) -> None:
    return None


@pipeline(enable_cache=False)
def three_steps() -> None:
    save(transform(load()))


@step
def start() -> int:
    return 0


@step
def noop(x: int) -> int:
    return x


@pipeline(enable_cache=False)
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
