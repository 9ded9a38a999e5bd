"""``on_failure`` / ``on_success`` hooks of steps and pipelines, in ZenML's shape.

A hook is a plain callable. It may take nothing; a failure hook may take the exception (a
parameter annotated ``BaseException`` or a subclass, or named ``exception``); any hook may take
``context`` (a :class:`HookContext`: run id, pipeline, step, status, parameters). Other
parameters must have defaults. A hook that raises is logged and never changes the run.
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import Callable
from typing import Any

from sundial.errors import DefinitionError
from sundial.frozen import Frozen

Hook = Callable[..., Any]
log = logging.getLogger("sundial.hooks")


class HookContext(Frozen):
    """What a hook is told about the run it is called for."""

    run_id: str
    pipeline: str
    step: str | None  # None for a pipeline's hook
    status: str  # "completed" or "failed"
    params: dict[str, Any]

    def __init__(self, run_id: str, pipeline: str, step: str | None, status: str,
                 params: dict[str, Any] | None = None) -> None:
        self.__dict__.update(run_id=run_id, pipeline=pipeline, step=step, status=status,
                             params={} if params is None else params)


def check_hook(owner: str, which: str, hook: Hook | None) -> Hook | None:
    """Refuse, at decoration time, a hook sundial could not call."""
    if hook is None:
        return None
    if not callable(hook):
        raise DefinitionError(f"{owner}: {which}={hook!r} is not callable",
                              f"pass a function, e.g. {which}=notify")
    try:
        params = inspect.signature(hook).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: called with nothing
        return hook
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.default is not p.empty:
            continue
        if p.name == "context" or (_takes_exception(hook, p) and which == "on_failure"):
            continue
        takes = "exception (BaseException) or context" if which == "on_failure" else "context"
        raise DefinitionError(
            f"{owner}: hook {getattr(hook, '__name__', hook)!r} ({which}) needs a value for "
            f"'{p.name}'", f"a hook may take only {takes}; give '{p.name}' a default")
    return hook


def _takes_exception(hook: Hook, p: inspect.Parameter) -> bool:
    if p.name == "exception":
        return True
    try:
        hint = typing.get_type_hints(hook).get(p.name)
    except Exception:  # unresolvable annotations: go by the name alone
        return False
    options = typing.get_args(hint) or (hint,)  # `ValueError | None` or a plain class
    return any(isinstance(h, type) and issubclass(h, BaseException) for h in options)


def call_hook(hook: Hook, which: str, context: HookContext,
              exception: BaseException | None = None) -> None:
    """Call ``hook`` with what it asks for; log (never raise) what it raises."""
    args: list[Any] = []  # positional-only parameters (``def hook(exception, /)``)
    kwargs: dict[str, Any] = {}
    try:
        params = list(inspect.signature(hook).parameters.values())
    except (TypeError, ValueError):
        params = []
    gap = False  # a positional-only parameter left to its default: none after it is given
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        value: Any = None
        if p.name == "context":
            value = context
        elif exception is not None and _takes_exception(hook, p):
            value = exception
        if p.kind != p.POSITIONAL_ONLY:
            if value is not None:
                kwargs[p.name] = value
        elif value is None or gap:
            gap = True
        else:
            args.append(value)
    where = f"step '{context.step}'" if context.step else f"pipeline '{context.pipeline}'"
    try:
        hook(*args, **kwargs)
    except Exception:
        # Printed too: inside a step the captured log keeps it with the step's own output.
        log.exception("%s hook %s of %s (run %s) failed; the run is not affected", which,
                      getattr(hook, "__name__", repr(hook)), where, context.run_id)
