"""Fixtures for tests that run real containers (podman, or a docker engine that answers).

One image is built per test session and shared (its tag is a content hash, so a second
session finds it and builds nothing). When no engine works the tests skip on a developer's
machine but FAIL under `make test` and in CI (SUNDIAL_REQUIRE_PODMAN=1 or CI=true): the set-up
script scripts/container-base installs podman and builds the base image there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sundial.errors import OrchestratorError
from sundial.images import BuildPlan, ContainerEngine, build_image, find_engine, plan_build

ROOT = Path(__file__).parents[3]
PROJECT = Path(__file__).parent / "project"
REQUIRE = os.environ.get("SUNDIAL_REQUIRE_PODMAN") == "1" or os.environ.get("CI") == "true"
BASE = os.environ.get("SUNDIAL_TEST_BASE_IMAGE", "localhost/sundial-base:latest")
WHEELS = ROOT / ".cache" / "wheelhouse"


def _unavailable(msg: str) -> None:
    if REQUIRE:
        pytest.fail(msg + " (required under make test / CI: run scripts/container-base)")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def engine() -> ContainerEngine:
    try:
        found = find_engine()
    except OrchestratorError as err:
        _unavailable(str(err))
        raise
    if not found.image_exists(BASE):
        _unavailable(f"base image {BASE} is missing in {found.name}")
    return found


@pytest.fixture(scope="session")
def image_plan() -> BuildPlan:
    return plan_build(f"{PROJECT / 'pipelines.py'}:numbers", base=BASE,
                      pipeline_name="tests")


@pytest.fixture(scope="session")
def image(engine: ContainerEngine, image_plan: BuildPlan) -> str:
    """The test project's image, built once per session (or found from an earlier one)."""
    return build_image(image_plan, engine, wheels=WHEELS if WHEELS.is_dir() else None).tag
