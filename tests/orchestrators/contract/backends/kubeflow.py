"""``kubeflow``: the real ``kfp.Client`` against the loopback KFP API double
(``tests/orchestrators/kubeflow/kfp_double.py``), which runs each created run's steps as their
container commands would (this environment's ``sundial step run``, one process per step).

What it cannot show: a real KFP (its driver, Argo, pods and images) or its scheduled-workflow
controller firing recurring runs; those rest on the mapping read from KFP's source.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from contract.harness import Harness


def _beside_the_tests() -> None:
    folder = str(Path(__file__).parents[2] / "kubeflow")
    if folder not in sys.path:
        sys.path.insert(0, folder)


class KubeflowHarness(Harness):
    name = "kubeflow"
    timeout = 120.0

    @contextmanager
    def running(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        _beside_the_tests()
        from kfp_double import serve_kfp
        from kfp_steps import run_step_processes

        with serve_kfp() as double:
            double.executor = run_step_processes
            self.double = double
            yield
            assert double.violations == []

    def options(self) -> dict[str, Any]:
        return {"host": self.double.url, "image": "registry.local/contract:1",
                "step_command": str(Path(sys.executable).parent / "sundial")}


HARNESS = KubeflowHarness
