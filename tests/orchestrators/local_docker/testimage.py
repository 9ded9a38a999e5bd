"""The container engine and the one test image, for every test that runs real containers.

The image is built from ``project/`` (found again by its content-hash tag, so a session builds
it at most once); tests whose pipeline lives elsewhere mount that folder at its own path. When
no engine works the tests skip on a developer's machine but FAIL under `make test` and in CI
(SUNDIAL_REQUIRE_PODMAN=1 or CI=true): scripts/container-base installs podman and builds the
base image there.
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


def unavailable(msg: str) -> None:
    if REQUIRE:
        pytest.fail(msg + " (required under make test / CI: run scripts/container-base)")
    pytest.skip(msg)


def working_engine() -> ContainerEngine:
    try:
        found = find_engine()
    except OrchestratorError as err:
        unavailable(str(err))
        raise
    if not found.image_exists(BASE):
        unavailable(f"base image {BASE} is missing in {found.name}")
    return found


def image_plan_of_tests() -> BuildPlan:
    return plan_build(f"{PROJECT / 'pipelines.py'}:numbers", base=BASE, pipeline_name="tests")


def build_test_image(engine: ContainerEngine) -> str:
    wheels = WHEELS if WHEELS.is_dir() else None
    return build_image(image_plan_of_tests(), engine, wheels=wheels).tag
