"""The dashboard app over a store with real runs and schedules, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_world import BASE, TOKEN, World, make_world


@pytest.fixture
def world(sundial_env: Path, tmp_path: Path) -> World:
    return make_world(tmp_path)


@pytest.fixture
def client(world: World) -> Iterator[object]:
    from fastapi.testclient import TestClient

    from sundial.server import create_app

    with TestClient(create_app(token=TOKEN), base_url=BASE) as c:
        yield c

