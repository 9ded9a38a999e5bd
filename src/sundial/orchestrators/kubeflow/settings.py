"""Where the Kubeflow backend finds Kubeflow Pipelines (each field a setting: a deploy option,
``SUNDIAL_KUBEFLOW_<FIELD>``, or ``[orchestrators.kubeflow]`` in ``sundial.toml``)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from sundial.orchestrators.kfp_spec.steps import KfpStepSettings

__all__ = ["KubeflowSettings"]


class KubeflowSettings(KfpStepSettings):
    host: str = Field("http://127.0.0.1:8888", description=(
        "the KFP API server's URL (e.g. http://ml-pipeline-ui.kubeflow:80, or a "
        "port-forward)"))
    namespace: str | None = Field(None, description=(
        "the Kubernetes namespace of a multi-user KFP (its profile)"))
    experiment: str | None = Field(None, description=(
        "the KFP experiment runs go to (default: one named after the pipeline)"))
    token: SecretStr | None = Field(None, description=(
        "a bearer token for the API server, when it needs one"))
