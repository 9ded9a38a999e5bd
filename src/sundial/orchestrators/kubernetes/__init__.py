"""Kubernetes: a Job per run (one pod, a container per step), a CronJob per native schedule.

The backend's classes load on first use, so a step inside a pod that only needs
``manifests`` (``sundial step run --nominal-from-job``) does not import the backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sundial.orchestrators.kubernetes.orchestrator import (
        KubernetesOrchestrator as KubernetesOrchestrator,
    )
    from sundial.orchestrators.kubernetes.orchestrator import (
        KubernetesSettings as KubernetesSettings,
    )

__all__ = ["KubernetesOrchestrator", "KubernetesSettings"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sundial.orchestrators.kubernetes import orchestrator

        return getattr(orchestrator, name)
    raise AttributeError(name)
