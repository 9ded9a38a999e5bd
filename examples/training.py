"""The example pipeline: load data, fit a line by gradient descent, evaluate it."""

from __future__ import annotations

import logging
import random
from typing import Annotated

from sundial import pipeline, step

log = logging.getLogger("examples.training")


@step(enable_cache=False)  # loads fresh data: never cached
def load(n: int = 200, seed: int = 7) -> tuple[Annotated[list[float], "x"],
                                                 Annotated[list[float], "y"]]:
    rng = random.Random(seed)
    x = [rng.uniform(-1, 1) for _ in range(n)]
    y = [3.0 * xi + 0.5 + rng.gauss(0, 0.1) for xi in x]
    print(f"loaded {n} points")
    return x, y


@step
def train(x: list[float], y: list[float], lr: float = 0.1, epochs: int = 200) -> dict[str, float]:
    w, b = 0.0, 0.0
    for _ in range(epochs):
        gw = sum((w * xi + b - yi) * xi for xi, yi in zip(x, y, strict=True)) * 2 / len(x)
        gb = sum(w * xi + b - yi for xi, yi in zip(x, y, strict=True)) * 2 / len(x)
        w, b = w - lr * gw, b - lr * gb
    log.info("trained w=%.3f b=%.3f", w, b)
    return {"w": w, "b": b}


@step
def evaluate(model: dict[str, float], x: list[float], y: list[float]) -> float:
    mse = sum((model["w"] * xi + model["b"] - yi) ** 2
              for xi, yi in zip(x, y, strict=True)) / len(x)
    print(f"mse={mse:.5f}")
    return mse


@pipeline
def training(lr: float = 0.1, epochs: int = 200) -> None:
    x, y = load()
    model = train(x, y, lr=lr, epochs=epochs)
    evaluate(model, x, y)


if __name__ == "__main__":
    training()
