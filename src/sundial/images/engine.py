"""Which container engine runs here: podman first, else a docker whose daemon answers.

A ``docker`` binary on the PATH proves nothing (a client without an engine is common), so an
engine counts only when it answers ``info``. Both engines take the same ``build`` and ``run``
flags; the few that differ by machine (the OCI runtime, ulimits) are settings.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from sundial.errors import OrchestratorError

__all__ = ["ContainerEngine", "find_engine"]

_INSTALL = ("install podman (Debian/Ubuntu: apt-get install podman runc) or start a Docker "
            "engine, or name one with SUNDIAL_LOCAL_DOCKER_ENGINE")


@dataclass(frozen=True)
class ContainerEngine:
    """A working engine: its name (``podman`` or ``docker``) and executable path.

    :param runtime: the OCI runtime to ask podman for (``runc``): Debian's podman defaults to
        crun, which fails on some kernels' cgroup set-ups where runc works. Docker picks its
        runtime in the daemon's configuration, so this is podman-only.
    :param ulimits: ``nofile=1024:1024`` style limits passed to ``build`` and ``run``; set
        explicitly because an engine that inherits a huge host limit fails on some machines.
    """

    name: str
    path: str
    runtime: str | None = None
    ulimits: tuple[str, ...] = ("nofile=1024:1024", "nproc=4096:4096")

    def common_flags(self) -> list[str]:
        flags = ["--runtime", self.runtime] if self.runtime and self.name == "podman" else []
        for limit in self.ulimits:
            flags += ["--ulimit", limit]
        return flags

    def image_exists(self, image: str) -> bool:
        done = subprocess.run([self.path, "image", "inspect", image], capture_output=True,
                              timeout=60, check=False)
        return done.returncode == 0


def _answers(path: str) -> bool:
    try:
        done = subprocess.run([path, "info"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def find_engine(preferred: str = "auto", *, runtime: str | None = "auto",
                ulimits: tuple[str, ...] | None = None) -> ContainerEngine:
    """The first working engine among ``podman`` and ``docker`` (or only ``preferred``).

    :param runtime: ``auto`` asks podman for runc when runc is installed, else podman's own
        default; ``None`` or ``""`` never passes ``--runtime``.
    :raises OrchestratorError: no engine on the PATH answers; says what to install.
    """
    if preferred not in ("auto", "podman", "docker"):
        raise OrchestratorError(f"container engine '{preferred}' is not podman or docker",
                                "set the engine to auto, podman or docker")
    names = ("podman", "docker") if preferred == "auto" else (preferred,)
    tried = []
    for name in names:
        path = shutil.which(name)
        if path is None:
            tried.append(f"{name}: not on the PATH")
            continue
        if not _answers(path):
            tried.append(f"{name}: `{name} info` fails (no engine answers)")
            continue
        chosen = shutil.which("runc") and "runc" if runtime == "auto" else runtime
        engine = ContainerEngine(name=name, path=path, runtime=chosen or None)
        return engine if ulimits is None else ContainerEngine(name, path, engine.runtime,
                                                             ulimits)
    raise OrchestratorError(f"no working container engine ({'; '.join(tried)})", _INSTALL)
