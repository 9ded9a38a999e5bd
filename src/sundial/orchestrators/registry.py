"""Backend names → classes, imported only when asked for (``import sundial`` imports none).

A backend listed here exists and is tested; the other platforms of the roadmap (local_docker,
kubernetes, kubeflow, vertex) are added with their own issues.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sundial.errors import BackendNotInstalledError, NotFoundError

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline
    from sundial.orchestrators.base import Orchestrator

BACKENDS: dict[str, str] = {
    "local": "sundial.orchestrators.local:LocalOrchestrator",
    "airflow": "sundial.orchestrators.airflow:AirflowOrchestrator",
    "tekton": "sundial.orchestrators.tekton:TektonOrchestrator",
    "github_actions": "sundial.orchestrators.github_actions:GithubActionsOrchestrator",
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


def get_orchestrator(name: str) -> Orchestrator:
    return orchestrator_class(name)()


def submit_now(pipeline: Pipeline, params: dict[str, Any], name: str) -> Any:
    """Run ``pipeline`` once on backend ``name``."""
    return get_orchestrator(name).submit(pipeline, params)
