"""``@step``: a plain typed function that, inside a pipeline body, becomes a node of the DAG."""

from __future__ import annotations

import functools
import hashlib
import inspect
import typing
from collections.abc import Callable
from datetime import timedelta
from typing import Any, overload

from sundial.definition.graph import OutputHandle, Upstream, Value, current_graph
from sundial.definition.hooks import Hook, check_hook
from sundial.definition.typecheck import check_value
from sundial.errors import DefinitionError, ParameterError
from sundial.frozen import Frozen

DEFAULT_OUTPUT = "output"


class StepOptions(Frozen):
    """How a step runs: caching, retries and hooks. ``enable_cache=None`` means "the default"
    (on). Hooks are called after the step's last attempt (see :mod:`sundial.definition.hooks`).
    """

    enable_cache: bool | None
    retries: int
    retry_delay: float
    on_failure: Hook | None
    on_success: Hook | None

    def __init__(self, enable_cache: bool | None = None, retries: int = 0,
                 retry_delay: float = 0.0, on_failure: Hook | None = None,
                 on_success: Hook | None = None) -> None:
        self.__dict__.update(enable_cache=enable_cache, retries=retries, retry_delay=retry_delay,
                             on_failure=on_failure, on_success=on_success)


class Step:
    """A function registered with ``@step``.

    Called inside a pipeline body it records an invocation and returns handles to its outputs
    (one handle, a tuple of handles for several named outputs, or None for no output); called
    anywhere else it is the plain function.
    """

    def __init__(self, func: Callable[..., Any], *, name: str | None, options: StepOptions):
        if not callable(func):
            raise DefinitionError(f"@step was given {func!r}, which is not a function",
                                  "put @step directly above a `def`")
        if options.retries < 0:
            raise DefinitionError(f"step '{name or func.__name__}': retries={options.retries} "
                                  "is negative", "use retries=0 (no retry) or more")
        self.func = func
        self.name = name or func.__name__
        self.options = options
        check_hook(f"step '{self.name}'", "on_failure", options.on_failure)
        check_hook(f"step '{self.name}'", "on_success", options.on_success)
        self.signature = inspect.signature(func)
        for p in self.signature.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise DefinitionError(
                    f"step '{self.name}' takes *{p.name}; steps need named parameters",
                    "list each input as its own parameter",
                )
        functools.update_wrapper(self, func)

    # -- what the step is ---------------------------------------------------------------------
    @functools.cached_property
    def type_hints(self) -> dict[str, Any]:
        try:
            return typing.get_type_hints(self.func, include_extras=True)
        except Exception:  # unresolvable forward references: fall back to "no hints"
            return {}

    @functools.cached_property
    def outputs(self) -> dict[str, Any]:
        """Output names to their declared types, in order."""
        if "return" not in self.type_hints:
            return {DEFAULT_OUTPUT: Any}
        ret = self.type_hints["return"]
        if ret is None or ret is type(None):
            return {}
        name = _annotated_name(ret)
        if name is not None:
            return {name: typing.get_args(ret)[0]}
        if typing.get_origin(ret) is tuple:
            args = typing.get_args(ret)
            names = [_annotated_name(a) for a in args]
            if args and Ellipsis not in args and all(names):
                if len(set(names)) != len(names):
                    raise DefinitionError(f"step '{self.name}' names two outputs alike: {names}",
                                          "give every Annotated output a distinct name")
                return {n: typing.get_args(a)[0] for n, a in zip(names, args, strict=True)
                        if n is not None}
        return {DEFAULT_OUTPUT: ret}

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(self.outputs)

    @property
    def source_ref(self) -> str:
        return f"{self.func.__module__}:{self.func.__qualname__}"

    @functools.cached_property
    def source_hash(self) -> str:
        """Hash of the step's source code (bytecode when the source is not available)."""
        try:
            text = inspect.getsource(self.func).encode()
        except (OSError, TypeError):
            code = self.func.__code__
            text = code.co_code + repr(code.co_consts).encode()
        return hashlib.sha256(text).hexdigest()

    # -- calling ------------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        graph = current_graph()
        if graph is None:
            return self.func(*args, **kwargs)
        inputs = self.bind_inputs(args, kwargs)
        invocation = graph.add(self, inputs)
        handles = tuple(OutputHandle(invocation.id, name) for name in self.outputs)
        if not handles:
            return None
        return handles[0] if len(handles) == 1 else handles

    def bind_inputs(self, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> dict[str, Upstream | Value]:
        """Map call arguments to input sources, checking names and literal types."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as err:
            raise ParameterError(
                f"step '{self.name}' was called with bad arguments: {err}",
                f"call it as {self.name}{self.signature}",
            ) from None
        inputs: dict[str, Upstream | Value] = {}
        for pname, value in bound.arguments.items():
            if isinstance(value, OutputHandle):
                inputs[pname] = Upstream(value.invocation, value.name)
                continue
            if _contains_handle(value):
                raise ParameterError(
                    f"step '{self.name}', parameter '{pname}': a step output inside a "
                    "list/tuple/dict cannot be passed",
                    "pass each step output as its own parameter",
                )
            check_value(f"step '{self.name}'", pname, value, self.type_hints.get(pname, Any))
            inputs[pname] = Value(value)
        return inputs

    def with_options(self, *, enable_cache: bool | None = None, retries: int | None = None,
                     retry_delay: float | timedelta | None = None,
                     on_failure: Hook | None = None, on_success: Hook | None = None) -> Step:
        """A copy of this step with some options changed."""
        o = self.options
        return Step(self.func, name=self.name, options=StepOptions(
            enable_cache=o.enable_cache if enable_cache is None else enable_cache,
            retries=o.retries if retries is None else retries,
            retry_delay=o.retry_delay if retry_delay is None else _seconds(retry_delay),
            on_failure=on_failure or o.on_failure, on_success=on_success or o.on_success,
        ))

    def __repr__(self) -> str:
        return f"<Step {self.name}>"


def _annotated_name(tp: Any) -> str | None:
    if typing.get_origin(tp) is typing.Annotated:
        for meta in typing.get_args(tp)[1:]:
            if isinstance(meta, str):
                return meta
    return None


def _contains_handle(value: Any) -> bool:
    if isinstance(value, (list, tuple, set)):
        return any(isinstance(v, OutputHandle) for v in value)
    if isinstance(value, dict):
        return any(isinstance(v, OutputHandle) for v in value.values())
    return False


def _seconds(delay: float | timedelta) -> float:
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


@overload
def step(func: Callable[..., Any], /) -> Step: ...
@overload
def step(*, name: str | None = None, enable_cache: bool | None = None, retries: int = 0,
         retry_delay: float | timedelta = 0.0, on_failure: Hook | None = None,
         on_success: Hook | None = None) -> Callable[[Callable[..., Any]], Step]: ...


def step(func: Callable[..., Any] | None = None, /, *, name: str | None = None,
         enable_cache: bool | None = None, retries: int = 0,
         retry_delay: float | timedelta = 0.0, on_failure: Hook | None = None,
         on_success: Hook | None = None) -> Step | Callable[[Callable[..., Any]], Step]:
    """Make a function a pipeline step; usable as ``@step`` or ``@step(enable_cache=False)``.

    :param enable_cache: reuse earlier outputs when code, parameters and inputs are unchanged
        (default on; a pipeline's ``enable_cache`` wins).
    :param retries: how many times to re-run the step after it raises.
    :param retry_delay: seconds (or a timedelta) to wait between attempts.
    :param on_failure: called when the step fails after its last attempt; may take the
        exception and/or ``context`` (ZenML's hook shape). A hook that raises is logged.
    :param on_success: called when the step completes (not when it is served from cache).
    """
    options = StepOptions(enable_cache=enable_cache, retries=retries,
                          retry_delay=_seconds(retry_delay), on_failure=on_failure,
                          on_success=on_success)

    def decorate(f: Callable[..., Any]) -> Step:
        return Step(f, name=name, options=options)

    return decorate(func) if func is not None else decorate
