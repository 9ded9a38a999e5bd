"""Backend names → classes, imported only when asked for (``import sundial`` imports none).

A backend listed here exists and passes the shared suite (``tests/orchestrators/contract/``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sundial.errors import BackendNotInstalledError, NotFoundError

if TYPE_CHECKING:
    from sundial.orchestrators.base import Orchestrator
    from sundial.store.store import Store

BACKENDS: dict[str, str] = {
    "local": "sundial.orchestrators.local:LocalOrchestrator",
    "airflow": "sundial.orchestrators.airflow:AirflowOrchestrator",
    "tekton": "sundial.orchestrators.tekton:TektonOrchestrator",
    "github_actions": "sundial.orchestrators.github_actions:GithubActionsOrchestrator",
    "kubeflow": "sundial.orchestrators.kubeflow:KubeflowOrchestrator",
    "vertex": "sundial.orchestrators.vertex:VertexOrchestrator",
    "local_docker": "sundial.orchestrators.local_docker:LocalDockerOrchestrator",
    "kubernetes": "sundial.orchestrators.kubernetes:KubernetesOrchestrator",
}


def orchestrator_class(name: str) -> type[Orchestrator]:
    """The class of backend ``name``; says which extra to install when its SDK is missing."""
    try:
        path = BACKENDS[name]
    except KeyError:
        raise NotFoundError(f"no orchestrator named '{name}'",
                            f"use one of: {', '.join(BACKENDS)}") from None
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("sundial"):
            raise
        raise BackendNotInstalledError(
            f"orchestrator '{name}' needs the package '{err.name}', which is not installed",
            f"pip install 'sundial[{name}]'") from None
    cls: type[Orchestrator] = getattr(module, attr)
    return cls


def get_orchestrator(name: str, store: Store | None = None,
                     options: Mapping[str, Any] | None = None) -> Orchestrator:
    """Backend ``name`` on ``store`` (default: the configured one), its settings read from
    ``options``, the environment and the config files (see ``orchestrators/settings.py``)."""
    from sundial.store.store import Store

    cls = orchestrator_class(name)
    return cls(store or Store.from_settings(), cls.load_settings(options))
