"""What both KFP backends need to say how steps run: the settings every step shares (image,
command, the store as the cluster sees it, resources) and the compiler input built from them.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from sundial.errors import ConfigError
from sundial.orchestrators.kfp_spec.compiler import KfpPipeline, StepResources, platform_name
from sundial.orchestrators.settings import BackendSettings
from sundial.store.urls import database_url

__all__ = ["KfpStepSettings"]


class KfpStepSettings(BackendSettings):
    """How every step of a KFP pipeline runs (shared by ``kubeflow`` and ``vertex``)."""

    image: str | None = Field(None, description=(
        "the pipeline's container image, with sundial and the pipeline's code (build one with "
        "`sundial build`)"))
    step_command: str = Field("sundial", description=(
        "the command that starts sundial in the image, shell-split"))
    step_database_url: str | None = Field(None, description=(
        "the store's URL as the steps reach it (default: this store's URL, when it carries "
        "no password; give passwords to the pods through their environment instead)"))
    step_artifact_uri: str | None = Field(None, description=(
        "the artifact store's URI as the steps reach it, e.g. gs://bucket/sundial"))
    cpu_request: str | None = Field(None, description="CPU request of every step, e.g. 500m")
    cpu_limit: str | None = Field(None, description="CPU limit of every step, e.g. 2")
    memory_request: str | None = Field(None, description="memory request of every step")
    memory_limit: str | None = Field(None, description="memory limit of every step, e.g. 4G")
    step_resources: dict[str, dict[str, str]] = Field(default_factory=dict, description=(
        "per-step resources, e.g. {train = {cpu_limit = \"4\", memory_limit = \"16G\"}}"))

    def require_image(self, backend: str) -> str:
        if not self.image:
            raise ConfigError(
                f"orchestrator '{backend}' has no container image to run the steps in",
                f"build one with `sundial build` and set SUNDIAL_{backend.upper()}_IMAGE (or "
                f"image = \"...\" under [orchestrators.{backend}] in sundial.toml)")
        return self.image

    def step_env(self, store_url: str, artifact_uri: str) -> dict[str, str]:
        """The store and artifact store every step uses. No secret is written into the spec
        (it is readable on the platform): a URL with a password is left to the pods."""
        env: dict[str, str] = {}
        url = self.step_database_url or store_url
        if not database_url(url).has_password:
            env["SUNDIAL_DATABASE_URL"] = url
        uri = self.step_artifact_uri or artifact_uri
        env["SUNDIAL_ARTIFACT_URI"] = uri if "://" in uri else str(Path(uri).expanduser())
        return env

    def resources(self) -> tuple[StepResources, dict[str, StepResources]]:
        default = StepResources(cpu_request=self.cpu_request, cpu_limit=self.cpu_limit,
                                memory_request=self.memory_request,
                                memory_limit=self.memory_limit)
        per_step = {}
        for step, values in self.step_resources.items():
            unknown = set(values) - set(StepResources.__dataclass_fields__)
            if unknown:
                raise ConfigError(
                    f"step_resources.{step} has unknown keys: {', '.join(sorted(unknown))}",
                    "use cpu_request, cpu_limit, memory_request and memory_limit")
            per_step[step] = StepResources(**{**default.__dict__, **values})
        return default, per_step

    def pipeline(self, *, backend: str, name: str, description: str,
                 steps: Sequence[Mapping[str, Any]], version_id: int,
                 params: Mapping[str, Any], job_placeholder: str, store_url: str,
                 artifact_uri: str, schedule_id: str | None = None) -> KfpPipeline:
        """The compiler's input for one pipeline version with these settings."""
        default, per_step = self.resources()
        return KfpPipeline(
            name=platform_name(name), description=description,
            image=self.require_image(backend), steps=steps, version_id=version_id,
            params=params, orchestrator=backend, job_placeholder=job_placeholder,
            argv=tuple(shlex.split(self.step_command)) or ("sundial",),
            schedule_id=schedule_id, env=self.step_env(store_url, artifact_uri),
            resources=per_step, default_resources=default)
