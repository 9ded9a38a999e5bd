"""The traced DAG of a pipeline: step invocations and where each of their inputs comes from.

A pipeline body is run once with a tracing context active; every step call inside it appends a
:class:`StepInvocation` and returns :class:`OutputHandle` objects standing for its outputs. The
order of invocations is already a topological order (a step can only consume outputs of steps
called before it), so the runner can walk the list as it is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from sundial.errors import DefinitionError
from sundial.frozen import Frozen, Mutable

if TYPE_CHECKING:
    from sundial.definition.step import Step


class OutputHandle(Frozen):
    """Stands for one output of a step invocation while a pipeline body is traced."""

    invocation: str
    name: str

    def __init__(self, invocation: str, name: str) -> None:
        self.__dict__.update(invocation=invocation, name=name)

    def __iter__(self) -> Iterator[Any]:
        raise DefinitionError(
            f"output '{self.name}' of step '{self.invocation}' cannot be unpacked",
            "declare several outputs with tuple[Annotated[T1, 'x'], Annotated[T2, 'y']] as the "
            "step's return type, then write `x, y = step()`",
        )

    def __bool__(self) -> bool:
        raise DefinitionError(
            f"output '{self.name}' of step '{self.invocation}' has no value while the pipeline "
            "is traced, so it cannot be tested with if/and/or",
            "move the decision into a step, or make it a pipeline parameter",
        )


class Upstream(Frozen):
    """An input that is an output of an earlier invocation."""

    invocation: str
    output: str

    def __init__(self, invocation: str, output: str) -> None:
        self.__dict__.update(invocation=invocation, output=output)


class Value(Frozen):
    """An input given as a plain value (a literal, or a pipeline parameter's value)."""

    value: Any

    def __init__(self, value: Any) -> None:
        self.__dict__.update(value=value)


InputSource = Upstream | Value


class StepInvocation(Mutable):
    """One call of a step inside a pipeline body."""

    id: str
    step: Step
    inputs: dict[str, InputSource]

    def __init__(self, id: str, step: Step, inputs: dict[str, InputSource]) -> None:
        self.id, self.step, self.inputs = id, step, inputs

    @property
    def upstream_ids(self) -> list[str]:
        return sorted({s.invocation for s in self.inputs.values() if isinstance(s, Upstream)})


class PipelineGraph(Mutable):
    """The DAG of one traced pipeline body, invocations in a valid execution order."""

    pipeline_name: str
    invocations: dict[str, StepInvocation]

    def __init__(self, pipeline_name: str,
                 invocations: dict[str, StepInvocation] | None = None) -> None:
        self.pipeline_name = pipeline_name
        self.invocations = {} if invocations is None else invocations

    def add(self, step: Step, inputs: dict[str, InputSource]) -> StepInvocation:
        # A step called twice gets ids name, name_2, name_3 ... as in ZenML.
        base = step.name
        inv_id, n = base, 1
        while inv_id in self.invocations:
            n += 1
            inv_id = f"{base}_{n}"
        invocation = StepInvocation(inv_id, step, inputs)
        self.invocations[inv_id] = invocation
        return invocation

    def spec(self) -> dict[str, Any]:
        """A JSON-able description of the DAG (stored with the pipeline version)."""
        return {
            "version": 1,
            "pipeline": self.pipeline_name,
            "steps": [
                {
                    "id": inv.id,
                    "step": inv.step.name,
                    "source": inv.step.source_ref,
                    "outputs": list(inv.step.output_names),
                    "upstream": inv.upstream_ids,
                    "inputs": {
                        name: (
                            {"step": src.invocation, "output": src.output}
                            if isinstance(src, Upstream)
                            else {"value": json_safe(src.value)}
                        )
                        for name, src in inv.inputs.items()
                    },
                }
                for inv in self.invocations.values()
            ],
        }

    def version_hash(self) -> str:
        """Identifies this shape of DAG and the code of its steps."""
        h = hashlib.sha256(json.dumps(self.spec(), sort_keys=True).encode())
        for inv in self.invocations.values():
            h.update(inv.step.source_hash.encode())
        return h.hexdigest()[:16]


def json_safe(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


_current: ContextVar[PipelineGraph | None] = ContextVar("sundial_tracing", default=None)


def current_graph() -> PipelineGraph | None:
    """The graph being traced in this context, or None outside a pipeline body."""
    return _current.get()


@contextmanager
def tracing(graph: PipelineGraph) -> Iterator[PipelineGraph]:
    """Make step calls in this context add invocations to ``graph``."""
    token = _current.set(graph)
    try:
        yield graph
    finally:
        _current.reset(token)
