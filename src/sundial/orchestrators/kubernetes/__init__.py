"""Kubernetes: a Job per run (one pod, a container per step), a CronJob per native schedule."""

from sundial.orchestrators.kubernetes.orchestrator import (
    KubernetesOrchestrator as KubernetesOrchestrator,
)
from sundial.orchestrators.kubernetes.orchestrator import (
    KubernetesSettings as KubernetesSettings,
)
