"""The Vertex AI Pipelines backend: ``mapping`` (pure) says how a Schedule becomes a Vertex
schedule, ``orchestrator`` drives the ``aiplatform_v1`` clients. Importing this imports no
SDK, but fails as the registry expects when kfp or google-cloud-aiplatform is missing."""

from sundial.orchestrators.kfp_spec import require_sdk

require_sdk("kfp", "google.cloud.aiplatform_v1")

from sundial.orchestrators.vertex.orchestrator import (  # noqa: E402
    VertexOrchestrator as VertexOrchestrator,
)
from sundial.orchestrators.vertex.settings import VertexSettings as VertexSettings  # noqa: E402

__all__ = ["VertexOrchestrator", "VertexSettings"]
