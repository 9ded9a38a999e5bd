"""The loopback API double, a kubeconfig that points at it, and a client through it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # apiserver.py, beside the tests

from apiserver import ApiServer, serve


@pytest.fixture
def api() -> Iterator[ApiServer]:
    with serve() as server:
        yield server


@pytest.fixture
def kubeconfig(api: ApiServer, tmp_path: Path) -> Path:
    return api.kubeconfig(tmp_path / "kubeconfig")
