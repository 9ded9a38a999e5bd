"""Run the steps of a recorded run, each in its own container, in dependency order.

Every step is ``podman run --rm IMAGE --run-id RUN STEP`` (the image's entrypoint is
``sundial step run``; docker takes the same flags), so the step writes its status, outputs and
logs into the store exactly as a local step does. This module adds what only the outside of a
container can see: its exit. A container that ends without its step having recorded an end
(killed by ``podman kill``, the kernel's OOM killer, a crash of the interpreter) fails the step
with the exit code and what it means; steps downstream of a failure are recorded ``skipped``,
and independent branches still run, as in a local run.
"""

from __future__ import annotations

import signal
import subprocess
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sundial.config import Settings
from sundial.images.engine import ContainerEngine
from sundial.store.records import CACHED, CANCELLED, COMPLETED, FAILED, RUNNING
from sundial.store.store import Store, utcnow
from sundial.store.urls import database_url

__all__ = ["ContainerSpec", "container_name", "execute_in_containers", "exit_reason",
           "store_access"]

DONE = (COMPLETED, CACHED)
#: Lines of a container's own output kept for the error of a step that died without a word.
TAIL_LINES = 20


@dataclass(frozen=True)
class ContainerSpec:
    """How each step's container is started (from the backend's settings)."""

    image: str
    network: str = "none"
    env: Mapping[str, str] = field(default_factory=dict)
    mounts: Sequence[str] = ()  # "HOST:CONTAINER[:OPTIONS]", as -v takes them
    cpus: str | None = None
    memory: str | None = None
    extra_args: Sequence[str] = ()

    def argv(self, engine: ContainerEngine, name: str, args: Sequence[str]) -> list[str]:
        argv = [engine.path, "run", "--rm", "--name", name, *engine.common_flags(),
                "--network", self.network, "--label", "io.sundial.managed=true"]
        if self.cpus:
            argv += ["--cpus", self.cpus]
        if self.memory:
            argv += ["--memory", self.memory]
        for key, value in sorted(self.env.items()):
            argv += ["-e", f"{key}={value}"]
        for mount in self.mounts:
            argv += ["-v", mount]
        return [*argv, *self.extra_args, self.image, *args]


def store_access(settings: Settings) -> tuple[dict[str, str], list[str], bool]:
    """What a container needs to reach this process's store and artifacts: environment,
    bind mounts, and whether it needs the host's network (a database server).

    Local paths are mounted at the same path inside, so the URLs stay valid there; the whole
    folder of a SQLite file is mounted because SQLite keeps its WAL and lock files beside it.
    """
    env: dict[str, str] = {}
    mounts: list[str] = []
    url = database_url(settings.database_url)
    network = url.sqlite_file is None
    if url.sqlite_file is not None:
        url.sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        mounts.append(f"{url.sqlite_file.parent}:{url.sqlite_file.parent}")
    env["SUNDIAL_DATABASE_URL"] = url.text
    artifacts = settings.artifact_uri
    if "://" not in artifacts or artifacts.startswith("file://"):
        folder = Path(artifacts.removeprefix("file://")).expanduser().resolve()
        folder.mkdir(parents=True, exist_ok=True)
        if not any(m.startswith(f"{folder}:") for m in mounts):
            mounts.append(f"{folder}:{folder}")
        artifacts = str(folder)
    else:
        network = True  # an object store is reached over the network
    env["SUNDIAL_ARTIFACT_URI"] = artifacts
    return env, mounts, network


def container_name(run_id: str, step: str) -> str:
    """A name podman and docker accept, unique per run and step (so one can be killed)."""
    safe = "".join(c if c.isalnum() or c in "_.-" else "-" for c in step)
    return f"sundial-{run_id[:13]}-{safe}"[:120]


def exit_reason(code: int) -> str:
    """What a container's exit code means, in words."""
    if code > 128 and code - 128 in signal.valid_signals():
        sig = signal.Signals(code - 128).name
        why = " (out of memory, or killed from outside)" if sig == "SIGKILL" else ""
        return f"exit code {code}: killed by {sig}{why}"
    if code == 125:
        return "exit code 125: the container engine could not start the container"
    if code in (126, 127):
        return f"exit code {code}: the image's entrypoint cannot be run (is it a sundial image?)"
    return f"exit code {code}"


def execute_in_containers(store: Store, engine: ContainerEngine, spec: ContainerSpec,
                          run_id: str, version_id: int, *,
                          on_line: Callable[[str], None] | None = None) -> str:
    """Run every step of ``run_id`` (of pipeline version ``version_id``); return the run's
    final status.

    :param on_line: receives each line the containers print, as it comes (the driver writes
        them to its log); the steps' own logs go to the store from inside.
    """
    steps: list[dict[str, Any]] = store.version_source(version_id)[0]["steps"]
    failed: dict[str, str] = {}
    for position, step in enumerate(steps):
        name = step["id"]
        blocked = [u for u in step["upstream"] if u in failed]
        current = store.get_run(run_id).steps.get(name)
        if current is not None and current.status in DONE:
            continue  # a resumed run: this step finished before
        if blocked:
            store.record_skipped(run_id=run_id, name=name, step=step["step"],
                                 position=position,
                                 reason=f"upstream step '{blocked[0]}' did not complete")
            failed[name] = "skipped"
            continue
        try:
            code, tail = _run_container(engine, spec, run_id, name, on_line)
        except BaseException:  # cancelled (SIGTERM) or interrupted: the step stopped with us
            store.update_run(run_id, status=CANCELLED, ended_at=utcnow(),
                             error=f"cancelled while step '{name}' ran")
            raise
        record = store.get_run(run_id).steps.get(name)
        if code == 0 and record is not None and record.status in DONE:
            continue
        reason = exit_reason(code) if code else "the container exited 0 without finishing"
        failed[name] = reason
        if record is None or record.status == RUNNING:
            _fail_step(store, run_id, name, step["step"], position, record, reason, tail)
    final = FAILED if failed else COMPLETED
    run = store.get_run(run_id)
    # The steps finish the run themselves when they can; a container that died could not,
    # and the run's error names the first step that failed and why.
    if failed or run.status != final or run.ended_at is None:
        first = next(iter(failed.items()), None)
        store.update_run(run_id, status=final, ended_at=utcnow(),
                         error=None if first is None else f"step '{first[0]}': {first[1]}")
    return final


def _run_container(engine: ContainerEngine, spec: ContainerSpec, run_id: str, step: str,
                   on_line: Callable[[str], None] | None) -> tuple[int, list[str]]:
    argv = spec.argv(engine, container_name(run_id, step), ["--run-id", run_id, step])
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace") as proc:
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                tail.append(line.rstrip("\n"))
                if on_line is not None:
                    on_line(line.rstrip("\n"))
            code = proc.wait()
        except BaseException:
            # Stop the container before leaving: Popen's exit would wait for it to end.
            subprocess.run([engine.path, "kill", container_name(run_id, step)],
                           capture_output=True, timeout=60, check=False)
            proc.kill()
            raise
    return code, list(tail)


def _fail_step(store: Store, run_id: str, name: str, step: str, position: int,
               record: Any, reason: str, tail: list[str]) -> None:
    """Record the end of a step whose container died before the step could."""
    error = f"container of step '{name}' ended: {reason}"
    logs = "\n".join(tail)
    if record is None:
        step_run_id = store.start_step_run(run_id=run_id, name=name, step=step,
                                           position=position, status=RUNNING)
    else:
        step_run_id = record.id
    store.finish_step_run(step_run_id, status=FAILED, error=error, logs=logs or None)
