"""`sundial build`: what goes into the image, the content-hash tag, and the no-op rebuild."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sundial.cli.app import app
from sundial.errors import OrchestratorError
from sundial.images import BuildPlan, ContainerEngine, find_engine
from sundial.images import image as images

PROJECT = Path(__file__).parent / "project"
PIPELINE = '''
from sundial import pipeline, step

@step
def one() -> int:
    return 1

@pipeline
def p() -> None:
    one()
'''


def _project(tmp_path: Path) -> Path:
    (tmp_path / "flow.py").write_text(PIPELINE)
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "big.bin").write_bytes(b"x" * 100)
    (tmp_path / "__pycache__").mkdir()
    return tmp_path


def test_the_tag_is_a_content_hash(tmp_path: Path) -> None:
    root = _project(tmp_path)
    first = images.plan_build(f"{root}/flow.py:p", base="localhost/b:1", pipeline_name="p")
    assert first.files == (Path("flow.py"),)  # environments and caches stay out
    assert first.tag.startswith("localhost/sundial-p:")
    again = images.plan_build(f"{root}/flow.py:p", base="localhost/b:1", pipeline_name="p")
    assert again.tag == first.tag
    (root / "flow.py").write_text(PIPELINE + "\n# changed\n")
    changed = images.plan_build(f"{root}/flow.py:p", base="localhost/b:1", pipeline_name="p")
    assert changed.tag != first.tag
    other_base = images.plan_build(f"{root}/flow.py:p", base="localhost/b:2", pipeline_name="p")
    assert other_base.tag != changed.tag


def test_the_containerfile_installs_sundial_and_keeps_the_project_path(tmp_path: Path) -> None:
    plan = images.plan_build(f"{_project(tmp_path)}/flow.py:p", base="localhost/b:1",
                             tag="me/p:1")
    text = images.containerfile(plan)
    assert text.startswith("FROM localhost/b:1\n")
    assert "--no-index" in text and "sundial-*.whl" in text
    assert f"COPY project/ {tmp_path}/" in text  # the stored code reference stays valid
    assert 'ENTRYPOINT ["/opt/sundial/bin/sundial", "step", "run"]' in text


def test_a_huge_project_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          ) -> None:
    monkeypatch.setattr(images, "MAX_FILES", 3)
    for i in range(5):
        (tmp_path / f"f{i}.txt").write_text("x")
    with pytest.raises(OrchestratorError, match="more than 3 files"):
        images.plan_build(f"{tmp_path}/f0.txt:p", base="b")


def test_no_engine_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(OrchestratorError, match="no working container engine") as info:
        find_engine()
    assert "install podman" in info.value.fix


def test_a_docker_client_without_an_engine_does_not_count(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          ) -> None:
    fake = tmp_path / "docker"
    fake.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OrchestratorError, match=r"docker: `docker info` fails"):
        find_engine()


def test_building_an_unchanged_pipeline_again_builds_nothing(
        engine: ContainerEngine, image: str, image_plan: BuildPlan) -> None:
    """The session's image exists, so `sundial build` of the same project is a no-op."""
    result = CliRunner().invoke(app, ["build", f"{PROJECT}/pipelines.py:numbers", "--base",
                                      image_plan.base, "--tag", image])
    assert result.exit_code == 0, result.output
    assert f"Up to date: {image}" in result.output
    assert image == image_plan.tag
