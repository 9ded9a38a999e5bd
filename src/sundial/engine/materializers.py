"""Materializers turn step outputs into bytes and back, chosen by the value's type.

JSON for builtins, ``.npy`` for numpy arrays, parquet for pandas DataFrames (when pyarrow is
installed), cloudpickle for anything else with a one-time warning per type (pickles tie the
artifact to the Python and library versions that wrote it). numpy and pandas are never imported
here unless the user's code already imported them: a value cannot be an ndarray otherwise.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import warnings
from typing import Any

from sundial.errors import ArtifactError
from sundial.frozen import Frozen


class Materializer(Frozen):
    """One way of writing values to bytes; ``version`` enters the cache key."""

    name: str
    version: int
    extension: str

    def __init__(self, name: str, version: int, extension: str) -> None:
        self.__dict__.update(name=name, version=version, extension=extension)

    def dumps(self, value: Any) -> bytes:
        raise NotImplementedError

    def loads(self, data: bytes) -> Any:
        raise NotImplementedError


class JsonMaterializer(Materializer):
    def dumps(self, value: Any) -> bytes:
        return json.dumps(value, sort_keys=False, allow_nan=True).encode()

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


class NumpyMaterializer(Materializer):
    def dumps(self, value: Any) -> bytes:
        import numpy as np

        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return buf.getvalue()

    def loads(self, data: bytes) -> Any:
        import numpy as np

        return np.load(io.BytesIO(data), allow_pickle=False)


class ParquetMaterializer(Materializer):
    def dumps(self, value: Any) -> bytes:
        buf = io.BytesIO()
        value.to_parquet(buf)
        return buf.getvalue()

    def loads(self, data: bytes) -> Any:
        import pandas as pd

        return pd.read_parquet(io.BytesIO(data))


class PickleMaterializer(Materializer):
    def dumps(self, value: Any) -> bytes:
        import cloudpickle

        return bytes(cloudpickle.dumps(value))

    def loads(self, data: bytes) -> Any:
        import pickle

        return pickle.loads(data)


JSON = JsonMaterializer("json", 1, "json")
NUMPY = NumpyMaterializer("numpy", 1, "npy")
PARQUET = ParquetMaterializer("parquet", 1, "parquet")
PICKLE = PickleMaterializer("cloudpickle", 1, "pkl")
BY_NAME: dict[str, Materializer] = {m.name: m for m in (JSON, NUMPY, PARQUET, PICKLE)}

_warned: set[str] = set()


def _is_json_native(value: Any, depth: int = 0) -> bool:
    # Only values that come back from JSON equal to what went in: no tuples, no int-keyed dicts.
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if depth > 50:
        return False
    if type(value) is list:
        return all(_is_json_native(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(isinstance(k, str) and _is_json_native(v, depth + 1)
                   for k, v in value.items())
    return False


def _is_instance_of(value: Any, module: str, attr: str) -> bool:
    mod = sys.modules.get(module)
    return mod is not None and isinstance(value, getattr(mod, attr))


def for_value(value: Any) -> Materializer:
    """The materializer for this value."""
    if _is_json_native(value):
        return JSON
    if _is_instance_of(value, "numpy", "ndarray") and value.dtype != object:
        return NUMPY
    if (_is_instance_of(value, "pandas", "DataFrame")
            and importlib.util.find_spec("pyarrow") is not None):
        return PARQUET
    type_name = f"{type(value).__module__}.{type(value).__qualname__}"
    if type_name not in _warned:
        _warned.add(type_name)
        warnings.warn(
            f"sundial stores {type_name} with cloudpickle; such artifacts load only with "
            "compatible Python and library versions",
            stacklevel=3,
        )
    return PICKLE


def by_name(name: str) -> Materializer:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ArtifactError(f"unknown materializer '{name}' in the store",
                            "upgrade sundial to the version that wrote this artifact") from None


def for_annotation(annotation: Any) -> str:
    """The materializer an output annotation implies, for the cache key (best effort)."""
    if annotation in (int, float, str, bool, type(None)) or getattr(
            annotation, "__origin__", None) in (list, dict):
        return f"{JSON.name}@{JSON.version}"
    name = getattr(annotation, "__qualname__", repr(annotation))
    module = getattr(annotation, "__module__", "")
    if module.startswith("numpy"):
        return f"{NUMPY.name}@{NUMPY.version}"
    if module.startswith("pandas"):
        return f"{PARQUET.name}@{PARQUET.version}"
    return f"any:{module}.{name}@{JSON.version}.{NUMPY.version}.{PARQUET.version}.{PICKLE.version}"
