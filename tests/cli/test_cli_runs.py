"""`sundial run` and `sundial runs ...` as a user calls them: real processes, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PIPELINE_FILE = '''
from typing import Annotated
from sundial import pipeline, step

@step
def load(n: int = 3) -> tuple[Annotated[list[int], "x"], Annotated[int, "size"]]:
    print("loading", n)
    return list(range(n)), n

@step
def total(x: list[int], boom: bool = False) -> int:
    if boom:
        raise RuntimeError("boom went the step")
    return sum(x)

@pipeline
def demo(n: int = 3, boom: bool = False):
    x, size = load(n=n)
    total(x, boom=boom)
'''


def sundial(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "sundial"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


@pytest.fixture
def project(tmp_path: Path, database_url: str) -> tuple[Path, dict[str, str]]:
    (tmp_path / "mypipes").mkdir()
    (tmp_path / "mypipes" / "__init__.py").write_text("")
    (tmp_path / "mypipes" / "flows.py").write_text(PIPELINE_FILE)
    env = {**os.environ, "SUNDIAL_HOME": str(tmp_path / "home"),
           "SUNDIAL_DATABASE_URL": database_url, "COLUMNS": "200"}
    env.pop("SUNDIAL_ARTIFACT_URI", None)
    return tmp_path, env


def test_run_list_show_logs(project: tuple[Path, dict[str, str]]) -> None:
    cwd, env = project
    ran = sundial("run", "mypipes/flows.py:demo", "--param", "n=4", env=env, cwd=cwd)
    assert ran.returncode == 0, ran.stderr
    assert "completed" in ran.stdout and "load/x.json" in ran.stdout
    ran = sundial("run", "mypipes.flows:demo", "--no-cache", env=env, cwd=cwd)
    assert ran.returncode == 0, ran.stderr

    listed = sundial("runs", "list", "--json", env=env, cwd=cwd)
    runs = json.loads(listed.stdout)
    assert [r["pipeline"] for r in runs] == ["demo", "demo"]
    assert runs[1]["params"] == {"n": 4, "boom": False}
    for r in runs:
        assert {"id", "pipeline", "status", "created_at", "steps"} <= set(r)
        assert r["steps"] == [{"name": "load", "status": "completed"},
                              {"name": "total", "status": "completed"}]

    shown = json.loads(sundial("runs", "show", runs[1]["id"][:8], "--json",
                               env=env, cwd=cwd).stdout)
    assert shown["steps"][1]["outputs"]["output"]["materializer"] == "json"
    logs = sundial("runs", "logs", runs[1]["id"], "--step", "load", env=env, cwd=cwd)
    assert "loading 4" in logs.stdout
    table = sundial("runs", "list", env=env, cwd=cwd)
    assert table.returncode == 0 and "demo" in table.stdout


def test_failed_run_exits_1_and_keeps_the_traceback(project: tuple[Path, dict[str, str]]) -> None:
    cwd, env = project
    ran = sundial("run", "mypipes/flows.py:demo", "--param", "boom=true", env=env, cwd=cwd)
    assert ran.returncode == 1
    assert "failed at step 'total': RuntimeError: boom went the step" in ran.stderr
    assert "Traceback" not in ran.stderr
    run_id = json.loads(sundial("runs", "list", "--json", env=env, cwd=cwd).stdout)[0]["id"]
    logs = sundial("runs", "logs", run_id, env=env, cwd=cwd)
    assert "Traceback" in logs.stdout and "boom went the step" in logs.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["run", "missing.py:demo"], "missing.py does not exist"),
    (["run", "mypipes/flows.py:nothing"], "has no attribute 'nothing'"),
    (["run", "mypipes/flows.py:load"], "'load' is a Step, not a @pipeline"),
    (["run", "no_such_module:demo"], "module 'no_such_module' cannot be imported"),
    (["run", "mypipes/flows.py"], "has no ':pipeline_name' part"),
    (["run", "mypipes/flows.py:demo", "--param", "m=3"], "pipeline 'demo' has no parameter 'm'"),
    (["run", "mypipes/flows.py:demo", "--param", "n=many"],
     "pipeline 'demo', parameter 'n': expected int, got str 'many'"),
    (["runs", "show", "nope"], "no run with id 'nope'"),
])
def test_user_errors_exit_2_with_headline_and_fix(project: tuple[Path, dict[str, str]],
                                                  args: list[str], message: str) -> None:
    cwd, env = project
    result = sundial(*args, env=env, cwd=cwd)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Fix:" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_masks_the_password(tmp_path: Path) -> None:
    env = {**os.environ, "SUNDIAL_HOME": str(tmp_path),
           "SUNDIAL_DATABASE_URL": "postgresql://alice:s3cret@127.0.0.1:1/nowhere"}
    result = sundial("runs", "list", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "alice:***@127.0.0.1:1/nowhere" in result.stderr
    assert "s3cret" not in result.stderr


def test_db_upgrade(tmp_path: Path) -> None:
    env = {**os.environ, "SUNDIAL_HOME": str(tmp_path)}
    env.pop("SUNDIAL_DATABASE_URL", None)
    result = sundial("db", "upgrade", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "is at revision" in result.stdout
    assert (tmp_path / "sundial.db").is_file()
