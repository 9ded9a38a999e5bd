"""``tekton``: the real ``kubernetes`` client against ``tekton/kube_double.py`` (a loopback API
server that checks every body against Tekton's CRD schemas), with ``tekton/emulator.py`` as
Tekton's controller: it runs each PipelineRun's Tasks as their commands say, here. Cannot
show: a real cluster, pods, images, Tekton's own controller.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from tekton.emulator import run_pipeline_run
from tekton.kube_double import Cluster, kube_double

from contract.harness import Harness


class TektonHarness(Harness):
    name = "tekton"
    timeout = 120.0

    @contextmanager
    def running(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        with kube_double(self.tmp) as cluster:
            cluster.controller = run_pipeline_run
            self.cluster: Cluster = cluster
            yield

    def options(self) -> dict[str, Any]:
        return {"image": "localhost/sundial-contract:1", "namespace": "contract",
                "kubeconfig": self.cluster.config}


HARNESS = TektonHarness
