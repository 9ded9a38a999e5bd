"""A stand-in for the kubelet next to the API double: it runs a Job's pod as local processes.

Each container of the pod (init containers in order, then the main one) becomes
``sundial step run ARGS`` in this environment plus the container's own ``env``, with the
downward-API variable ``SUNDIAL_JOB_NAME`` set to the Job's name, exactly as the manifest
says; the first container that fails stops the pod, and the Job is ended the way the Job
controller ends it (``Complete``, or ``Failed`` with that container terminated).

What it cannot show: a real container runtime, image pulls, resource limits or the
controllers' timing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from apiserver import ApiServer

SUNDIAL = str(Path(sys.executable).parent / "sundial")


class Kubelet:
    def __init__(self, api: ApiServer, namespace: str = "default") -> None:
        self.api, self.namespace = api, namespace
        self.done: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def containers(self, job: str) -> list[dict[str, Any]]:
        obj = self.api.get("Job", job, self.namespace)
        if obj is None:  # deleted before its pod ran
            return []
        pod = obj["spec"]["template"]["spec"]
        return [*pod.get("initContainers", []), *pod["containers"]]

    def run(self, job: str, containers: int | None = None,
            finish: bool = True) -> tuple[str, int] | None:
        """Run the pod's first ``containers`` containers (all by default); returns the one
        that failed and its exit code, and (``finish``) ends the Job accordingly."""
        self.done.add(job)
        failed = None
        for container in self.containers(job)[:containers]:
            env = dict(os.environ, SUNDIAL_JOB_NAME=job)
            env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
            argv = [SUNDIAL, "step", "run",
                    *(a.replace("$(SUNDIAL_JOB_NAME)", job) for a in container["args"])]
            code = subprocess.run(argv, env=env, capture_output=True, check=False).returncode
            if code != 0:
                failed = (container["name"], code)
                break
        if finish:
            if failed is None:
                self.api.finish(job, self.namespace)
            else:
                self.api.finish(job, self.namespace, ok=False, container=failed[0],
                                exit_code=failed[1])
        return failed

    # -- in the background, as a cluster would ------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _loop(self) -> None:
        while not self._stop.wait(0.1):
            for job in self.api.of_kind("Job"):
                name = job["metadata"]["name"]
                if name not in self.done and not (job.get("status") or {}).get("conditions"):
                    self.run(name)
