"""A small, fast check that a parameter value fits its annotation.

It covers what step and pipeline parameters are in practice (builtins, containers, Optional and
unions, Literal); anything it does not understand is accepted, since a wrong refusal is worse
than a late error from the step itself. Kept hand-written because importing pydantic for this
would cost more than a whole trivial pipeline run.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Any


def describe(annotation: Any) -> str:
    """A readable name for an annotation, for error messages."""
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def check_value(owner: str, pname: str, value: Any, annotation: Any) -> None:
    """:raises ParameterError: naming ``owner`` (e.g. "step 'train'") and the parameter when
    ``value`` does not fit ``annotation``."""
    if not fits(value, annotation):
        from sundial.errors import ParameterError

        raise ParameterError(
            f"{owner}, parameter '{pname}': expected {describe(annotation)}, "
            f"got {type(value).__name__} {value!r}",
            f"pass a value of type {describe(annotation)}",
        )


def fits(value: Any, annotation: Any) -> bool:
    """True when ``value`` is acceptable for a parameter annotated ``annotation``."""
    if annotation is Any or annotation is typing.Any or (annotation is None and value is None):
        return True
    if annotation is None or annotation is type(None):
        return value is None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return fits(value, args[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(fits(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if origin in (list, set, frozenset):
        return isinstance(value, origin) and (not args or all(fits(v, args[0]) for v in value))
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(fits(v, args[0]) for v in value)
        return not args or (len(args) == len(value) and all(map(fits, value, args)))
    if origin is dict:
        return isinstance(value, dict) and (
            not args or all(fits(k, args[0]) and fits(v, args[1]) for k, v in value.items())
        )
    if isinstance(annotation, type):
        if annotation is float:
            # PEP 484's numeric tower: an int is acceptable where a float is expected. Only a
            # finite one: inf and nan (from "1e999" or "NaN" on the command line) are never a
            # meant value, and nan is not even equal to itself in a cache key.
            if isinstance(value, float):
                return math.isfinite(value)
            return isinstance(value, int) and not isinstance(value, bool)
        if annotation is int:
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, annotation)
    return True
