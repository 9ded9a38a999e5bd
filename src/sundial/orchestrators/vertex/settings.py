"""Where the Vertex backend finds Vertex AI (each field a setting: a deploy option,
``SUNDIAL_VERTEX_<FIELD>``, or ``[orchestrators.vertex]`` in ``sundial.toml``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sundial.orchestrators.kfp_spec.steps import KfpStepSettings

__all__ = ["VertexSettings"]


class VertexSettings(KfpStepSettings):
    project: str | None = Field(None, description="the Google Cloud project")
    location: str = Field("us-central1", description="the Vertex AI region")
    pipeline_root: str | None = Field(None, description=(
        "a gs:// folder for the pipelines' outputs (Vertex requires one)"))
    api_endpoint: str | None = Field(None, description=(
        "the Vertex AI API endpoint (default: LOCATION-aiplatform.googleapis.com)"))
    service_account: str | None = Field(None, description=(
        "the service account the pipeline jobs run as"))
    credentials: Literal["default", "anonymous"] = Field("default", description=(
        "'default': Google's application-default credentials; 'anonymous': none (an "
        "emulator or a test double)"))
    timeout: float = Field(60.0, description="seconds a call to Vertex AI may take")
