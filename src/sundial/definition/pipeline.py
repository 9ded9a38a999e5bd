"""``@pipeline``: a function whose body calls steps and so defines a DAG.

Calling a pipeline binds and checks its parameters, then hands them to ``sundial.dispatch``,
which runs it now on its orchestrator (``local`` by default) or, with a ``schedule`` option,
registers a schedule (DESIGN §1). The body is traced, not executed: step calls inside it only
record invocations. This package imports no execution code (engine, scheduler, orchestrators,
store): ``dispatch`` is imported when a pipeline is called, not before.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from sundial.definition.graph import PipelineGraph, tracing
from sundial.definition.hooks import Hook, check_hook
from sundial.definition.typecheck import check_value
from sundial.errors import DefinitionError, ParameterError
from sundial.frozen import Frozen

if TYPE_CHECKING:
    from sundial.definition.schedule import Schedule


class PipelineOptions(Frozen):
    """How a pipeline runs. ``enable_cache=None`` leaves each step's own setting in force."""

    enable_cache: bool | None
    schedule: Schedule | None
    orchestrator: str
    on_failure: Hook | None  # called once a run has failed (after its steps' hooks)
    on_success: Hook | None
    #: ``None``: native when the orchestrator has a scheduler of its own, else sundial mode;
    #: ``"sundial"``: sundial's scheduler fires the ticks and submits each run there.
    schedule_mode: Literal["native", "sundial"] | None
    #: Settings of the orchestrator for this pipeline (see ``orchestrators/settings.py``).
    orchestrator_options: tuple[tuple[str, Any], ...]

    def __init__(self, enable_cache: bool | None = None, schedule: Schedule | None = None,
                 orchestrator: str = "local", on_failure: Hook | None = None,
                 on_success: Hook | None = None,
                 schedule_mode: Literal["native", "sundial"] | None = None,
                 orchestrator_options: tuple[tuple[str, Any], ...] = ()) -> None:
        self.__dict__.update(enable_cache=enable_cache, schedule=schedule,
                             orchestrator=orchestrator, on_failure=on_failure,
                             on_success=on_success, schedule_mode=schedule_mode,
                             orchestrator_options=orchestrator_options)

    def replace(self, **changes: Any) -> PipelineOptions:
        """A copy with ``changes`` (as :func:`dataclasses.replace` makes)."""
        return PipelineOptions(**{**self.__dict__, **changes})


class Pipeline:
    """A function registered with ``@pipeline``."""

    def __init__(self, func: Callable[..., Any], *, name: str | None, options: PipelineOptions):
        self.func = func
        self.name = name or func.__name__
        self.options = options
        check_hook(f"pipeline '{self.name}'", "on_failure", options.on_failure)
        check_hook(f"pipeline '{self.name}'", "on_success", options.on_success)
        self.signature = inspect.signature(func)
        functools.update_wrapper(self, func)

    @functools.cached_property
    def type_hints(self) -> dict[str, Any]:
        try:
            return typing.get_type_hints(self.func)
        except Exception:  # unresolvable forward references: no checking rather than a crash
            return {}

    def bind_params(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """All parameters of one run, defaults applied, names and types checked."""
        unknown = [k for k in kwargs if k not in self.signature.parameters]
        if unknown:
            raise ParameterError(
                f"pipeline '{self.name}' has no parameter '{unknown[0]}'",
                f"its parameters are: {', '.join(self.signature.parameters) or '(none)'}",
            )
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as err:
            raise ParameterError(f"pipeline '{self.name}' was called with bad arguments: {err}",
                                 f"call it as {self.name}{self.signature}") from None
        bound.apply_defaults()
        for pname, value in bound.arguments.items():
            check_value(f"pipeline '{self.name}'", pname, value, self.type_hints.get(pname, Any))
        return dict(bound.arguments)

    def trace(self, params: dict[str, Any]) -> PipelineGraph:
        """Run the body with tracing on, giving the DAG for these parameter values."""
        graph = PipelineGraph(self.name)
        with tracing(graph):
            self.func(**params)
        if not graph.invocations:
            raise DefinitionError(f"pipeline '{self.name}' calls no step",
                                  "call at least one @step function in the pipeline body")
        return graph

    @property
    def source(self) -> dict[str, str]:
        """Where the pipeline's code lives, so another process can load it again."""
        return {
            "module": self.func.__module__,
            "qualname": self.func.__qualname__,
            "file": inspect.getsourcefile(self.func) or "",
        }

    # -- running ------------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        params = self.bind_params(args, kwargs)
        from sundial.lifelong import import_lifelong

        import_lifelong("sundial.dispatch")  # SQLAlchemy and the store: see sundial/lifelong.py
        from sundial import dispatch  # the one road to a backend, above this package

        options = dict(self.options.orchestrator_options)
        if self.options.schedule is not None:
            return dispatch.register_schedule(
                self, params, self.options.schedule, orchestrator=self.options.orchestrator,
                mode=self.options.schedule_mode, options=options)
        return dispatch.run_now(self, params, orchestrator=self.options.orchestrator,
                                options=options)

    def run(self, *args: Any, schedule: Schedule | None = None, **kwargs: Any) -> Any:
        """Run now, or register ``schedule`` for this pipeline (the seeds' ``.run(...)`` form)."""
        target = self if schedule is None else self.with_options(schedule=schedule)
        return target(*args, **kwargs)

    def register_schedules(self, schedules: Sequence[Schedule], *args: Any,
                           **kwargs: Any) -> list[Any]:
        """Register many schedules of this pipeline at once (its parameters bound from
        ``args``/``kwargs``, shared by all): one transaction, all or none, in sundial mode;
        returns their records. For fleets of schedules: a thousand in well under a second."""
        params = self.bind_params(args, kwargs)
        from sundial import dispatch

        return list(dispatch.register_many(
            self, params, schedules, orchestrator=self.options.orchestrator,
            options=dict(self.options.orchestrator_options)))

    def with_options(self, *, enable_cache: bool | None = None,
                     schedule: Schedule | None = None,
                     orchestrator: str | None = None, on_failure: Hook | None = None,
                     on_success: Hook | None = None,
                     schedule_mode: Literal["native", "sundial"] | None = None,
                     orchestrator_options: dict[str, Any] | None = None) -> Pipeline:
        """A copy of this pipeline with some options changed.

        :param orchestrator: the backend's registry name (``local``, ``airflow`` ...).
        :param schedule_mode: ``"sundial"`` lets sundial's scheduler fire the ticks and submit
            each run to the orchestrator; ``"native"`` requires the platform's own scheduler.
        :param orchestrator_options: the backend's settings for this pipeline, e.g.
            ``{"dags_folder": "/opt/airflow/dags"}``.
        """
        changes: dict[str, Any] = {k: v for k, v in (("on_failure", on_failure),
                                                     ("on_success", on_success)) if v}
        if enable_cache is not None:
            changes["enable_cache"] = enable_cache
        if schedule is not None:
            changes["schedule"] = schedule
        if orchestrator is not None:
            changes["orchestrator"] = orchestrator
        if schedule_mode is not None:
            changes["schedule_mode"] = schedule_mode
        if orchestrator_options is not None:
            changes["orchestrator_options"] = tuple(sorted(orchestrator_options.items()))
        return Pipeline(self.func, name=self.name, options=self.options.replace(**changes))

    def __repr__(self) -> str:
        return f"<Pipeline {self.name}>"


@overload
def pipeline(func: Callable[..., Any], /) -> Pipeline: ...
@overload
def pipeline(*, name: str | None = None, enable_cache: bool | None = None,
             on_failure: Hook | None = None,
             on_success: Hook | None = None) -> Callable[[Callable[..., Any]], Pipeline]: ...


def pipeline(
    func: Callable[..., Any] | None = None, /, *, name: str | None = None,
    enable_cache: bool | None = None, on_failure: Hook | None = None,
    on_success: Hook | None = None,
) -> Pipeline | Callable[[Callable[..., Any]], Pipeline]:
    """Make a function a pipeline; usable as ``@pipeline`` or ``@pipeline(enable_cache=False)``.

    :param enable_cache: when set, overrides every step's own ``enable_cache`` (as in ZenML).
    :param on_failure: called once when a run fails; may take the exception (the first failed
        step's) and/or ``context``. A hook that raises is logged and never fails the run.
    :param on_success: called once when a run completes.
    """
    options = PipelineOptions(enable_cache=enable_cache, on_failure=on_failure,
                              on_success=on_success)

    def decorate(f: Callable[..., Any]) -> Pipeline:
        return Pipeline(f, name=name, options=options)

    return decorate(func) if func is not None else decorate
