"""The Kubeflow Pipelines backend: ``mapping`` (pure) says how a Schedule becomes a KFP
recurring run, ``orchestrator`` drives ``kfp.Client``. Importing this imports no kfp, but
fails as the registry expects when kfp is not installed."""

from sundial.orchestrators.kfp_spec import require_sdk

require_sdk("kfp")

from sundial.orchestrators.kubeflow.orchestrator import (  # noqa: E402
    KubeflowOrchestrator as KubeflowOrchestrator,
)
from sundial.orchestrators.kubeflow.settings import (  # noqa: E402
    KubeflowSettings as KubeflowSettings,
)

__all__ = ["KubeflowOrchestrator", "KubeflowSettings"]
