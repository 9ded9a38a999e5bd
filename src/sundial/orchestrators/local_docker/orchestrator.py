"""The LocalDocker backend: each step in its own container on this machine (podman or docker).

It has no scheduler of its own, so every schedule runs in sundial mode: sundial's scheduler
fires the ticks, with every Schedule field honoured, and submits each tick's run here.
``submit`` starts a driver process (``driver.py``) that runs the steps' containers in
dependency order and returns at once; ``run_status`` reads the run from the store, and notices
a driver that died before its run ended.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from sundial.errors import OrchestratorError
from sundial.images import DEFAULT_BASE, ContainerEngine, build_image, find_engine, plan_build
from sundial.orchestrators.base import (
    SCHEDULE_FEATURES,
    SCHEDULE_OPERATIONS,
    Capability,
    Orchestrator,
    RunRequest,
    RunState,
    RunStatus,
)
from sundial.orchestrators.local_docker.containers import ContainerSpec, store_access
from sundial.orchestrators.local_docker.driver import request, start_driver
from sundial.orchestrators.settings import BackendSettings

__all__ = ["LocalDockerOrchestrator", "LocalDockerSettings"]

_STATUS: dict[str, RunStatus] = {"queued": "queued", "starting": "queued", "running": "running",
                                 "cancelling": "running", "completed": "completed",
                                 "failed": "failed", "cancelled": "cancelled"}
_SUNDIAL_MODE = ("LocalDocker has no scheduler of its own: its schedules live in sundial's "
                 "scheduler (sundial mode); use `sundial schedule ...` / Client().schedules")


class LocalDockerSettings(BackendSettings):
    """How LocalDocker builds and starts the steps' containers."""

    engine: Literal["auto", "podman", "docker"] = Field(
        "auto", description="podman or docker; auto takes podman, else a docker engine that "
                            "answers")
    image: str | None = Field(
        None, description="an existing image whose entrypoint is `sundial step run`; default: "
                          "`sundial build` of the pipeline's folder (cached by content hash)")
    base: str = Field(DEFAULT_BASE, description="base image of the built image")
    wheels: Path | None = Field(
        None, description="a folder of wheels to build the image from, instead of the index")
    runtime: str = Field("auto", description="podman's OCI runtime (auto: runc if installed)")
    ulimits: tuple[str, ...] = Field(("nofile=1024:1024", "nproc=4096:4096"),
                                     description="--ulimit values for every container")
    network: str | None = Field(
        None, description="container network; default: none for a SQLite store with local "
                          "artifacts, host otherwise (a database server)")
    cpus: str | None = Field(None, description="--cpus of every step's container")
    memory: str | None = Field(None, description="--memory of every step's container (e.g. 1g)")
    env: dict[str, str] = Field(default_factory=dict,
                                description="environment variables for the steps")
    mounts: tuple[str, ...] = Field((), description="extra -v HOST:CONTAINER[:ro] mounts")
    wait: bool = Field(False, description="submit waits for the run to end")


class LocalDockerOrchestrator(Orchestrator):
    name: ClassVar[str] = "local_docker"
    description: ClassVar[str] = ("this machine, each step in its own podman/docker container; "
                                  "sundial's scheduler fires the ticks")
    settings_class: ClassVar[type[BackendSettings]] = LocalDockerSettings
    capabilities = dict.fromkeys(SCHEDULE_FEATURES, Capability.SUNDIAL)
    unsupported_operations = dict.fromkeys(SCHEDULE_OPERATIONS, _SUNDIAL_MODE)

    @property
    def options(self) -> LocalDockerSettings:
        assert isinstance(self.settings, LocalDockerSettings)
        return self.settings

    def engine(self) -> ContainerEngine:
        return find_engine(self.options.engine, runtime=self.options.runtime,
                           ulimits=self.options.ulimits)

    def image_for(self, version_id: int, engine: ContainerEngine) -> str:
        """The configured image, else one built (or found) for the version's code."""
        if self.options.image:
            if not engine.image_exists(self.options.image):
                raise OrchestratorError(
                    f"image '{self.options.image}' does not exist in {engine.name}",
                    "build it with `sundial build TARGET --tag ...`, or unset the "
                    "local_docker image setting to build one automatically")
            return self.options.image
        _spec, source = self.store.version_source(version_id)
        file = source.get("file") or ""
        if not file or not Path(file).is_file():
            raise OrchestratorError(
                f"pipeline '{source.get('qualname')}' has no source file on this machine to "
                "build an image from", "set the local_docker image setting to an image built "
                "with `sundial build`")
        target = f"{file}:{source['qualname']}"
        plan = plan_build(target, base=self.options.base,
                          pipeline_name=source["qualname"].rsplit(".", 1)[-1])
        return build_image(plan, engine, wheels=self.options.wheels).tag

    def container_spec(self, image: str) -> ContainerSpec:
        from sundial.config import Settings

        current = Settings.from_env()
        settings = Settings(home=current.home, database_url=self.store.url,
                            artifact_uri=current.artifact_uri)
        env, mounts, needs_network = store_access(settings)
        network = self.options.network or ("host" if needs_network else "none")
        return ContainerSpec(image=image, network=network, env={**env, **self.options.env},
                             mounts=(*mounts, *self.options.mounts), cpus=self.options.cpus,
                             memory=self.options.memory)

    # -- runs -------------------------------------------------------------------------------
    def submit(self, run: RunRequest) -> str:
        """Start the run's driver; the reference is ``RUN_ID@HOST:PID`` of the driver."""
        from sundial.config import Settings

        engine = self.engine()
        spec = self.container_spec(self.image_for(run.version_id, engine))
        log = Settings.from_env().home / "logs" / "local_docker" / f"{run.run_id}.log"
        pid = start_driver(request(database_url=self.store.url, run_id=run.run_id,
                                   version_id=run.version_id, engine=engine, spec=spec,
                                   log=log))
        ref = f"{run.run_id}@{socket.gethostname()}:{pid}"
        if self.options.wait:
            _wait(pid)
        return ref

    def run_status(self, ref: str) -> RunState:
        run_id, _, where = ref.partition("@")
        record = self.store.get_run(run_id)
        status = _STATUS.get(record.status, "running")
        if status in ("completed", "failed", "cancelled"):
            return RunState(status, record.error)
        host, _, pid = where.partition(":")
        if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
            # Read again: the driver may have finished the run just before it exited.
            record = self.store.get_run(run_id)
            if _STATUS.get(record.status, "running") in ("completed", "failed", "cancelled"):
                return RunState(_STATUS[record.status], record.error)
            return RunState("failed", f"the LocalDocker driver (pid {pid}) ended before the "
                                      "run did")
        return RunState(status, record.error)

    def cancel(self, ref: str) -> None:
        """SIGTERM to the driver: it kills the running container and records the run
        cancelled."""
        host, _, pid = ref.partition("@")[2].partition(":")
        if host == socket.gethostname() and pid.isdigit() and _alive(int(pid)):
            os.kill(int(pid), 15)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet reaped by its parent, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _wait(pid: int) -> Any:
    try:
        return os.waitpid(pid, 0)
    except ChildProcessError:
        return None
