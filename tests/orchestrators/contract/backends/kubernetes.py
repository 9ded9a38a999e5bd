"""``kubernetes``: the real ``kubernetes`` client against the loopback API double
(``kubernetes/apiserver.py``), with a stand-in kubelet that runs each new Job's pod as local
``sundial step run`` processes exactly as its manifest says (``kubernetes/kubelet.py``).

What it cannot show: a real cluster's controllers (no CronJob fires by itself here; the
backend's own tests fire one by hand), container runtime, image pulls, RBAC evaluation.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from contract.harness import Harness
from sundial import Schedule


def _beside_the_tests() -> None:
    folder = str(Path(__file__).parents[2] / "kubernetes")
    if folder not in sys.path:
        sys.path.insert(0, folder)


class KubernetesHarness(Harness):
    name = "kubernetes"
    timeout = 60.0

    @contextmanager
    def running(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        _beside_the_tests()
        from apiserver import serve
        from kubelet import Kubelet

        with serve() as api:
            self.kubeconfig = api.kubeconfig(self.tmp / "kubeconfig")
            kubelet = Kubelet(api)
            kubelet.start()
            try:
                yield
            finally:
                kubelet.stop()

    def options(self) -> dict[str, Any]:
        return {"kubeconfig": str(self.kubeconfig), "image": "registry.example/tests:1"}

    def native_schedule(self) -> Schedule:
        # A CronJob never runs every missed tick (catch-up) nor queues one: skip is native.
        return Schedule(cron_expression="0 6 * * *", timezone="UTC", overlap="skip")


HARNESS = KubernetesHarness
