"""``vertex``: google-cloud-aiplatform's ``aiplatform_v1`` clients (AnonymousCredentials)
against the loopback Vertex API double (``tests/orchestrators/vertex/vertex_double.py``), which
runs each created pipeline job's steps as their container commands would (this environment's
``sundial step run``, one process per step).

What it cannot show: a real Vertex running the spec, or its scheduler firing schedules; those
rest on Vertex's documentation, as ``vertex/mapping.py`` says.
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
    folder = str(Path(__file__).parents[2] / "vertex")
    if folder not in sys.path:
        sys.path.insert(0, folder)


class VertexHarness(Harness):
    name = "vertex"
    timeout = 120.0

    @contextmanager
    def running(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        _beside_the_tests()
        from kfp_steps import run_step_processes
        from vertex_double import serve_vertex

        with serve_vertex() as double:
            # Were the SDK to reach for Cloud Storage, it would meet the double.
            monkeypatch.setenv("STORAGE_EMULATOR_HOST", double.url)
            monkeypatch.setenv("NO_GCE_CHECK", "True")  # no metadata-server probe
            double.executor = run_step_processes
            self.double = double
            yield
            assert double.violations == []

    def options(self) -> dict[str, Any]:
        return {"project": "contract", "location": "europe-west4",
                "api_endpoint": self.double.url, "credentials": "anonymous",
                "pipeline_root": "gs://contract/pipelines", "image": "registry.local/contract:1",
                "step_command": str(Path(sys.executable).parent / "sundial")}


HARNESS = VertexHarness
