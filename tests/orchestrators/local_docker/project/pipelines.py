"""Pipelines the container tests run; this folder is copied into the test image as it is."""

from __future__ import annotations

import time
from typing import Annotated

from sundial import pipeline, step


@step(enable_cache=False)
def make(n: int) -> Annotated[list[int], "numbers"]:
    print(f"making {n} numbers")
    return list(range(n))


@step(enable_cache=False)
def total(numbers: list[int]) -> int:
    print(f"adding {len(numbers)} numbers")
    return sum(numbers)


@step(enable_cache=False)
def nap(seconds: float) -> float:
    print("napping", flush=True)
    time.sleep(seconds)
    return seconds


@step(enable_cache=False)
def after(slept: float) -> str:
    return f"slept {slept}"


@pipeline(enable_cache=False)
def numbers(n: int = 4) -> None:
    total(make(n))


@pipeline(enable_cache=False)
def sleepy(seconds: float = 60.0) -> None:
    after(nap(seconds))
    make(2)  # an independent branch: it still runs when the nap is killed
