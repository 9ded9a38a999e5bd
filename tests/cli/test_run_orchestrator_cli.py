"""`sundial run --orchestrator` and `sundial orchestrator list NAME`, typed as on the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from usercli import sundial

FLOW = '''
from sundial import pipeline, step

@step
def one(n: int = 1) -> int:
    return n

@pipeline
def flow(n: int = 1):
    one(n=n)
'''


@pytest.fixture
def target(sqlite_env: Path, tmp_path: Path) -> str:
    path = tmp_path / "flow.py"
    path.write_text(FLOW)
    return f"{path}:flow"


def test_run_on_a_named_orchestrator(target: str) -> None:
    done = sundial("run", target, "--orchestrator", "local", "--param", "n=3", "--json")
    assert done.code == 0, done.err
    run = json.loads(done.out)
    assert run["status"] == "completed" and run["orchestrator"] == "local"


def test_run_on_an_unknown_orchestrator_lists_the_known_ones(target: str) -> None:
    done = sundial("run", target, "--orchestrator", "nowhere")
    assert done.code != 0
    assert "no orchestrator named 'nowhere'" in done.err
    assert "kubernetes" in done.err and "local_docker" in done.err


def test_run_refuses_an_option_the_backend_does_not_have(target: str) -> None:
    done = sundial("run", target, "--orchestrator", "local", "--option", "colour=blue")
    assert done.code != 0
    assert "colour" in done.err


def test_orchestrator_list_of_one_backend() -> None:
    done = sundial("orchestrator", "list", "kubernetes", "--json")
    assert done.code == 0, done.err
    assert [r["name"] for r in json.loads(done.out)] == ["kubernetes"]
    table = sundial("orchestrator", "list", "kubernetes", "vertex")
    assert "kubernetes" in table.out and "vertex" in table.out and "airflow" not in table.out


def test_orchestrator_list_of_an_unknown_backend() -> None:
    done = sundial("orchestrator", "list", "kubernets")
    assert done.code != 0
    assert "no orchestrator named 'kubernets'" in done.err and "kubernetes" in done.err
