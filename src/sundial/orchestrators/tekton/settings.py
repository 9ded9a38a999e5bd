"""The Tekton backend's settings (see ``orchestrators/settings.py`` for where each is read:
a deploy option, ``SUNDIAL_TEKTON_<FIELD>``, or ``[orchestrators.tekton]`` in ``sundial.toml``
/ ``$SUNDIAL_HOME/config.toml``)."""

from __future__ import annotations

from pydantic import Field

from sundial.errors import OrchestratorError
from sundial.orchestrators.settings import BackendSettings
from sundial.orchestrators.tekton.compiler import TektonImage

__all__ = ["TektonSettings"]


class TektonSettings(BackendSettings):
    image: str | None = Field(None, description=(
        "the image with sundial and the pipeline's code that every Task runs "
        "(`sundial build`); required to run"))
    namespace: str = Field("default", description=(
        "where the Tasks, Pipelines and PipelineRuns live"))
    secret: str | None = Field("sundial-store", description=(
        "the Secret whose keys (SUNDIAL_DATABASE_URL, SUNDIAL_ARTIFACT_URI) become the steps' "
        "environment; empty: none"))
    service_account: str | None = Field(None, description="the TaskRuns' service account")
    timeout: str | None = Field(None, description=(
        "a PipelineRun's timeout as a Go duration, e.g. 1h0m0s (default: Tekton's)"))
    kubeconfig: str | None = Field(None, description=(
        "the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)"))
    context: str | None = Field(None, description="its context (default: the current one)")
    in_cluster: bool = Field(False, description=(
        "use the service account of the pod sundial runs in instead of a kubeconfig"))

    def task_image(self) -> TektonImage:
        if not self.image:
            raise OrchestratorError(
                "no image for the Tekton backend: its Tasks run the steps in a container",
                "build one with `sundial build TARGET` (or name yours) and set the tekton "
                "backend's image setting (SUNDIAL_TEKTON_IMAGE)",
                cli_fix="build one with `sundial build TARGET` and pass --image IMAGE, or set "
                        "SUNDIAL_TEKTON_IMAGE")
        return TektonImage(image=self.image, secret=self.secret or None,
                           service_account=self.service_account)
