"""LocalDocker: each step in its own podman/docker container on this machine."""

from sundial.orchestrators.local_docker.orchestrator import (
    LocalDockerOrchestrator as LocalDockerOrchestrator,
)
from sundial.orchestrators.local_docker.orchestrator import (
    LocalDockerSettings as LocalDockerSettings,
)
