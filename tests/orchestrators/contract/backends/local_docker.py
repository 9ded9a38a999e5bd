"""``local_docker``: real containers (podman, or a docker engine that answers). Every step of
every run is a container of the one test image (``local_docker/testimage.py``), with the
suite's pipeline folder mounted at its own path; schedules are sundial-mode only."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from contract.harness import Harness


def _beside_the_tests() -> None:
    folder = str(Path(__file__).parents[2] / "local_docker")
    if folder not in sys.path:
        sys.path.insert(0, folder)


class LocalDockerHarness(Harness):
    name = "local_docker"
    timeout = 120.0

    @contextmanager
    def running(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        _beside_the_tests()
        from testimage import build_test_image, working_engine

        self.image = build_test_image(working_engine())
        yield

    def options(self) -> dict[str, Any]:
        return {"image": self.image, "mounts": (f"{self.tmp}:{self.tmp}:ro",)}


HARNESS = LocalDockerHarness
