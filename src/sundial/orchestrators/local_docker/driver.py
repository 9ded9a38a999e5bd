"""The process that drives one LocalDocker run: ``python -m ...local_docker.driver REQUEST``.

``submit`` starts it in its own session and returns at once, so the caller (a user's
terminal, sundial's scheduler) is never blocked for the length of a run and a run outlives the
process that started it. The driver starts each step's container in turn (``containers.py``),
appends what the containers print to its log file, and on SIGTERM (``cancel``) kills the
running container and records the run cancelled. ``REQUEST`` is a JSON object written by the
backend (:func:`request`), so the driver needs no settings of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Any

from sundial.images.engine import ContainerEngine
from sundial.orchestrators.local_docker.containers import ContainerSpec, execute_in_containers

__all__ = ["request", "start_driver"]


def request(*, database_url: str, run_id: str, version_id: int, engine: ContainerEngine,
            spec: ContainerSpec, log: Path) -> dict[str, Any]:
    return {"database_url": database_url, "run_id": run_id, "version_id": version_id,
            "engine": asdict(engine), "spec": {**asdict(spec), "env": dict(spec.env)},
            "log": str(log)}


def start_driver(req: dict[str, Any]) -> int:
    """Start the driver detached; returns its pid."""
    log = Path(req["log"])
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sundial.orchestrators.local_docker.driver",
             json.dumps(req)], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            start_new_session=True)
    return proc.pid


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(143)


def main(raw: str) -> int:
    from sundial.store.store import Store

    req = json.loads(raw)
    engine_fields = req["engine"]
    engine = ContainerEngine(name=engine_fields["name"], path=engine_fields["path"],
                             runtime=engine_fields["runtime"],
                             ulimits=tuple(engine_fields["ulimits"]))
    spec_fields = req["spec"]
    spec = ContainerSpec(image=spec_fields["image"], network=spec_fields["network"],
                         env=spec_fields["env"], mounts=tuple(spec_fields["mounts"]),
                         cpus=spec_fields["cpus"], memory=spec_fields["memory"],
                         extra_args=tuple(spec_fields["extra_args"]))
    signal.signal(signal.SIGTERM, _stop)
    store = Store(req["database_url"])
    try:
        status = execute_in_containers(store, engine, spec, req["run_id"], req["version_id"],
                                       on_line=lambda line: print(line, flush=True))
    finally:
        store.close()
    print(f"run {req['run_id']}: {status} (driver pid {os.getpid()})", flush=True)
    return 0 if status == "completed" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
