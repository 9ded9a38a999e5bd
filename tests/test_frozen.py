"""Frozen and Mutable value classes behave as the dataclasses they replace."""

from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any

import pytest

from sundial.frozen import Frozen, Mutable


class Point(Frozen):
    x: int
    y: int
    note: Any

    _uncompared = frozenset({"note"})
    _unshown = frozenset({"note"})

    def __init__(self, x: int, y: int = 0, note: Any = None) -> None:
        self.__dict__.update(x=x, y=y, note=note)


@dataclass(frozen=True)
class DataPoint:
    x: int
    y: int = 0
    note: Any = field(default=None, compare=False, repr=False)


class Box(Mutable):
    items: list[int]

    def __init__(self, items: list[int]) -> None:
        self.items = items


def test_frozen_is_a_frozen_dataclass() -> None:
    p, d = Point(1, 2, note="a"), DataPoint(1, 2, note="a")
    assert repr(p) == repr(d).replace("DataPoint", "Point") == "Point(x=1, y=2)"
    assert p == Point(1, 2, note="b") and p != Point(2, 2) and p != (1, 2)
    assert hash(p) == hash(Point(1, 2, note="other")) == hash((1, 2))
    with pytest.raises(FrozenInstanceError):
        p.x = 3  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del p.y
    assert pickle.loads(pickle.dumps(p)) == p and copy.deepcopy(p) == p


def test_mutable_is_a_dataclass_with_eq() -> None:
    b = Box([1])
    b.items = [2]
    assert b == Box([2]) and b != Box([1]) and repr(b) == "Box(items=[2])"
    with pytest.raises(TypeError):
        hash(b)


def test_fields_and_annotations_cannot_drift() -> None:
    with pytest.raises(TypeError, match="annotated fields"):
        class Bad(Frozen):
            a: int
            b: int

            def __init__(self, a: int) -> None:
                self.__dict__.update(a=a)
