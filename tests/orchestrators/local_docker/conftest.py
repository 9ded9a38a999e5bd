"""Session fixtures for the tests that run real containers (see testimage.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from testimage import build_test_image, image_plan_of_tests, working_engine

from sundial.images import BuildPlan, ContainerEngine


@pytest.fixture(scope="session")
def engine() -> ContainerEngine:
    return working_engine()


@pytest.fixture(scope="session")
def image_plan() -> BuildPlan:
    return image_plan_of_tests()


@pytest.fixture(scope="session")
def image(engine: ContainerEngine) -> str:
    """The test project's image, built once per session (or found from an earlier one)."""
    return build_test_image(engine)
