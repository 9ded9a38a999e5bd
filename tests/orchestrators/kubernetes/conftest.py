"""The loopback API double, a kubeconfig that points at it, and a client through it."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def _load(name: str, path: Path) -> None:
    """Import ``path`` as module ``name``: tests/loopback.py and tests/orchestrators/loopback.py
    share a file name, so which one ``import loopback`` finds depends on what ran first."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load("orchestrators_loopback", Path(__file__).parent.parent / "loopback.py")
sys.path.insert(0, str(Path(__file__).parent))  # apiserver.py, beside the tests

from apiserver import ApiServer, serve  # noqa: E402


@pytest.fixture
def api() -> Iterator[ApiServer]:
    with serve() as server:
        yield server


@pytest.fixture
def kubeconfig(api: ApiServer, tmp_path: Path) -> Path:
    return api.kubeconfig(tmp_path / "kubeconfig")
