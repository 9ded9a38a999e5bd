"""sundial: ML pipelines in which scheduling is first-class.

Public names only. ``Schedule`` and ``Client`` are resolved on first use so that
``import sundial`` stays fast and pulls in no store, no pydantic and no backend SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sundial.definition.pipeline import Pipeline as Pipeline
from sundial.definition.pipeline import pipeline as pipeline
from sundial.definition.step import Step as Step
from sundial.definition.step import step as step
from sundial.errors import (
    AlreadyExistsError as AlreadyExistsError,
)
from sundial.errors import (
    DefinitionError as DefinitionError,
)
from sundial.errors import (
    InvalidScheduleError as InvalidScheduleError,
)
from sundial.errors import (
    NotFoundError as NotFoundError,
)
from sundial.errors import (
    ParameterError as ParameterError,
)
from sundial.errors import (
    RunFailedError as RunFailedError,
)
from sundial.errors import (
    SundialError as SundialError,
)

if TYPE_CHECKING:
    from sundial.client import Client as Client
    from sundial.definition.schedule import Schedule as Schedule

__version__ = "0.1.0"

_LAZY = {
    "Schedule": "sundial.definition.schedule",
    "Client": "sundial.client",
}

__all__ = [
    "AlreadyExistsError",
    "Client",
    "DefinitionError",
    "InvalidScheduleError",
    "NotFoundError",
    "ParameterError",
    "Pipeline",
    "RunFailedError",
    "Schedule",
    "Step",
    "SundialError",
    "pipeline",
    "step",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sundial' has no attribute {name!r}")
