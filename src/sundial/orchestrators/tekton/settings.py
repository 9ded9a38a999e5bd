"""The Tekton backend's settings, read from the environment each time.

- ``SUNDIAL_TEKTON_IMAGE``: the image with sundial and the pipeline's code (required to run).
- ``SUNDIAL_TEKTON_NAMESPACE``: where Tasks, Pipelines and PipelineRuns live (``default``).
- ``SUNDIAL_TEKTON_SECRET``: the Secret holding ``SUNDIAL_DATABASE_URL`` and
  ``SUNDIAL_ARTIFACT_URI`` for the steps (``sundial-store``; empty: none).
- ``SUNDIAL_TEKTON_SERVICE_ACCOUNT``: the ServiceAccount of the TaskRuns' pods.
- ``SUNDIAL_TEKTON_TIMEOUT``: a PipelineRun's timeout, Go duration (``1h0m0s``; Tekton's
  default when unset).
- ``SUNDIAL_TEKTON_KUBECONFIG`` / ``SUNDIAL_TEKTON_CONTEXT``: the kubeconfig file
  (``$KUBECONFIG``, else ``~/.kube/config``) and its context (the current one).
- ``SUNDIAL_TEKTON_IN_CLUSTER``: ``true`` to use the service account of the pod sundial runs in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sundial.errors import OrchestratorError
from sundial.orchestrators.tekton.compiler import TektonImage

__all__ = ["TektonSettings"]


@dataclass(frozen=True)
class TektonSettings:
    image: str | None
    namespace: str = "default"
    secret: str | None = "sundial-store"
    service_account: str | None = None
    timeout: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False

    @classmethod
    def from_env(cls) -> TektonSettings:
        env = os.environ
        secret = env.get("SUNDIAL_TEKTON_SECRET", "sundial-store")
        return cls(image=env.get("SUNDIAL_TEKTON_IMAGE") or None,
                   namespace=env.get("SUNDIAL_TEKTON_NAMESPACE") or "default",
                   secret=secret or None,
                   service_account=env.get("SUNDIAL_TEKTON_SERVICE_ACCOUNT") or None,
                   timeout=env.get("SUNDIAL_TEKTON_TIMEOUT") or None,
                   kubeconfig=env.get("SUNDIAL_TEKTON_KUBECONFIG") or None,
                   context=env.get("SUNDIAL_TEKTON_CONTEXT") or None,
                   in_cluster=env.get("SUNDIAL_TEKTON_IN_CLUSTER", "").lower()
                   in ("1", "true", "yes"))

    def task_image(self) -> TektonImage:
        if not self.image:
            raise OrchestratorError(
                "no image for the Tekton backend: its Tasks run the steps in a container",
                "build one with `sundial build TARGET` (or name yours) and set "
                "SUNDIAL_TEKTON_IMAGE to it")
        return TektonImage(image=self.image, secret=self.secret,
                           service_account=self.service_account)
