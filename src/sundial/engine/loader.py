"""Find a pipeline from a target string: ``path/to/file.py:name`` or ``package.module:name``."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

from sundial.definition.pipeline import Pipeline
from sundial.errors import TargetNotFoundError

_FIX = "write TARGET as path/to/file.py:pipeline_name or package.module:pipeline_name"


def load_pipeline(target: str) -> Pipeline:
    """The Pipeline object a target names."""
    module_part, sep, attr = target.rpartition(":")
    if not sep or not module_part or not attr:
        raise TargetNotFoundError(f"target '{target}' has no ':pipeline_name' part", _FIX)
    if module_part.endswith(".py") or "/" in module_part or "\\" in module_part:
        module = _import_file(Path(module_part), target)
    else:
        if "" not in sys.path and str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))  # as `python -m` would
        try:
            module = importlib.import_module(module_part)
        except ModuleNotFoundError as err:
            raise TargetNotFoundError(
                f"target '{target}': module '{module_part}' cannot be imported ({err})",
                "check the module path and that its package is installed or on PYTHONPATH",
            ) from None
    obj = getattr(module, attr, None)
    if obj is None:
        found = sorted(n for n, v in vars(module).items() if isinstance(v, Pipeline))
        raise TargetNotFoundError(
            f"target '{target}': '{module_part}' has no attribute '{attr}'",
            f"pipelines defined there: {', '.join(found) or '(none)'}")
    if not isinstance(obj, Pipeline):
        raise TargetNotFoundError(
            f"target '{target}': '{attr}' is a {type(obj).__name__}, not a @pipeline",
            "decorate the function with @pipeline, or name another attribute")
    return obj


def _import_file(path: Path, target: str) -> object:
    path = path.expanduser().resolve()
    if not path.is_file():
        raise TargetNotFoundError(f"target '{target}': file {path} does not exist", _FIX)
    # A stable module name per file, so loading the same file twice reuses the module.
    name = "sundial_user_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    if name in sys.modules:
        return sys.modules[name]
    # Let the file import its siblings, as `python file.py` would.
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TargetNotFoundError(f"target '{target}': {path} is not a Python file", _FIX)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_pipeline_from_source(source: dict[str, str]) -> Pipeline:
    """Load a pipeline again from the code reference stored with its version."""
    module, qualname, file = source.get("module", ""), source["qualname"], source.get("file", "")
    importable = module and module != "__main__" and not module.startswith("sundial_user_")
    if importable:
        try:
            return load_pipeline(f"{module}:{qualname}")
        except TargetNotFoundError:
            if not file:
                raise
    if not file:
        raise TargetNotFoundError(f"pipeline '{qualname}' has no stored source file",
                                  "register it again from an importable module or a file")
    return load_pipeline(f"{file}:{qualname}")
