"""What Kubeflow Pipelines and Vertex AI Pipelines share: the compiler from a sundial pipeline
to a KFP v2 pipeline spec (``compiler``, needs ``kfp``) and the cron and interval conversions
both need (``timing``, pure). Importing this package imports no SDK."""

from __future__ import annotations

import importlib.util


def require_sdk(*modules: str) -> None:
    """Raise ``ModuleNotFoundError`` naming the first of ``modules`` that is not installed,
    without importing it (only its parent packages); the registry turns it into "install
    the extra"."""
    for module in modules:
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            found = None
        if found is None:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)
