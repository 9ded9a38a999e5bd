"""Small value classes written out by hand, with what ``@dataclass`` would add to them.

On Python 3.11, ``@dataclass`` writes the source of each method it adds (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, and ``__setattr__`` and ``__delattr__`` when frozen)
and compiles it when the module is imported: about half a millisecond a class, paid by every
process. The classes that a pipeline run and ``sundial step run`` import subclass :class:`Frozen`
(or :class:`Mutable`) instead and write their ``__init__``; its parameters are the fields, in
order, and the rest comes from here, as a dataclass has it:

- ``==`` compares the fields (of two objects of the same class; else ``NotImplemented``),
  except those named in ``_uncompared``;
- ``repr`` shows ``Class(field=value, ...)``, except the fields named in ``_unshown``;
- a :class:`Frozen` object refuses assignment (:class:`dataclasses.FrozenInstanceError`) and
  hashes its compared fields; a :class:`Mutable` one is unhashable, as a dataclass with ``eq``.

An ``__init__`` of a :class:`Frozen` class fills ``self.__dict__`` (``__setattr__`` refuses).
``dataclasses.replace``, ``fields`` and ``asdict`` do not apply to these classes: a class that
needs them stays a dataclass, or writes what it needs (``PipelineOptions.replace``).
"""

from __future__ import annotations

import inspect
from dataclasses import FrozenInstanceError
from typing import Any, ClassVar

__all__ = ["Frozen", "Mutable"]


class _Fields:
    __slots__ = ()

    #: The fields: ``__init__``'s parameters after ``self``, in order (set for each subclass).
    _fields: ClassVar[tuple[str, ...]] = ()
    _uncompared: ClassVar[frozenset[str]] = frozenset()
    _unshown: ClassVar[frozenset[str]] = frozenset()
    _compared: ClassVar[tuple[str, ...]] = ()
    _shown: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None:
            code = init.__code__
            cls._fields = code.co_varnames[1:code.co_argcount + code.co_kwonlyargcount]
            # The class's annotations declare the fields too (for readers and mypy): the two
            # lists must not drift apart.
            declared = {name for name, kind in inspect.get_annotations(cls).items()
                        if not str(kind).startswith(("ClassVar", "typing.ClassVar"))}
            if declared != set(cls._fields):
                raise TypeError(f"{cls.__qualname__}: the annotated fields {sorted(declared)} "
                                f"are not __init__'s parameters {list(cls._fields)}")
        cls._compared = tuple(f for f in cls._fields if f not in cls._uncompared)
        cls._shown = tuple(f for f in cls._fields if f not in cls._unshown)

    def _key(self) -> tuple[Any, ...]:
        values = self.__dict__
        return tuple([values[f] for f in self._compared])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._key() == other._key()
        return NotImplemented

    def __repr__(self) -> str:
        values = self.__dict__
        shown = ", ".join(f"{f}={values[f]!r}" for f in self._shown)
        return f"{self.__class__.__qualname__}({shown})"


class Frozen(_Fields):
    """An immutable value: see the module's docstring."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __hash__(self) -> int:
        return hash(self._key())


class Mutable(_Fields):
    """A mutable value: see the module's docstring."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]
