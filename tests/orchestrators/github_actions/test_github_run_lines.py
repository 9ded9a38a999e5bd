"""The workflow's jobs run here, exactly as their ``run:`` lines say, and record into the store.

A small runner reads the workflow sundial wrote: it orders the jobs by ``needs:``, evaluates
the job ``if:`` and each ``${{ }}`` expression the file uses (any other expression fails the
test), runs each ``run:`` line with GitHub's default shell (``bash --noprofile --norc -eo
pipefail``) and passes ``$GITHUB_OUTPUT`` between steps and jobs as GitHub does. ``uses:``
steps (checkout, setup-python) are left out: the lines run in this checkout with this
Python, which is what they would install. What it cannot show: GitHub's runners, its
scheduler, and its expression engine beyond the expressions sundial writes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from loopback import TRAINING
from sundial import Schedule
from sundial.client import Client
from sundial.engine.loader import load_pipeline
from sundial.errors import AlreadyExistsError, OrchestratorError, UnsupportedScheduleError
from sundial.orchestrators.github_actions import deploy_github_actions
from sundial.store.store import Store

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
REPOSITORY, RUN_ID = "acme/ml", "4242"


class Context:
    def __init__(self, event: str, inputs: dict[str, str], secrets: dict[str, str]) -> None:
        self.event, self.inputs, self.secrets = event, inputs, secrets
        self.needs: dict[str, dict[str, str]] = {}
        self.steps: dict[str, dict[str, str]] = {}

    def value(self, expression: str) -> str:
        parts = expression.split(".")
        match parts:
            case ["secrets", name]:
                return self.secrets[name]
            case ["github", "repository"]:
                return REPOSITORY
            case ["github", "run_id"]:
                return RUN_ID
            case ["inputs", name]:
                return self.inputs.get(name, "")
            case ["needs", job, "outputs", name]:
                return self.needs[job].get(name, "")
            case ["steps", step, "outputs", name]:
                return self.steps[step].get(name, "")
        raise AssertionError(f"the test runner does not know the expression {expression!r}")

    def substitute(self, text: str) -> str:
        return _EXPR.sub(lambda m: self.value(m.group(1)), text)

    def condition(self, text: str) -> bool:
        left, op, right = text.partition(" == ")
        assert op and right.startswith("'"), f"unknown condition {text!r}"
        return self.value(left.strip()) == right.strip().strip("'")


def run_workflow(path: Path, event: str, inputs: dict[str, str], secrets: dict[str, str],
                 tmp_path: Path) -> dict[str, str]:
    """Run every job; returns job id → success, failure or skipped."""
    jobs: dict[str, Any] = yaml.safe_load(path.read_text())["jobs"]
    context = Context(event, inputs, secrets)
    results: dict[str, str] = {}
    bin_dir = str(Path(sys.executable).parent)
    while len(results) < len(jobs):
        ready = [j for j, spec in jobs.items() if j not in results
                 and all(n in results for n in spec.get("needs", []))]
        assert ready, "a cycle in needs:"
        for job in ready:
            spec = jobs[job]
            if any(results[n] != "success" for n in spec.get("needs", [])) or (
                    "if" in spec and not context.condition(spec["if"])):
                results[job] = "skipped"
                continue
            context.steps = {}
            results[job] = "success"
            for number, step in enumerate(spec["steps"]):
                if "uses" in step:
                    continue
                output = tmp_path / f"{job}-{number}.out"
                output.write_text("")
                env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path),
                       "GITHUB_EVENT_NAME": event, "GITHUB_OUTPUT": str(output),
                       **{k: context.substitute(str(v)) for k, v in step.get("env", {}).items()}}
                done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                       step["run"]], env=env, cwd=tmp_path, timeout=120,
                                      capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    results[job] = "failure"
                    print(done.stdout, done.stderr)
                    break
                if "id" in step:
                    context.steps[step["id"]] = dict(
                        line.split("=", 1) for line in output.read_text().splitlines())
            context.needs[job] = {k: context.substitute(v)
                                  for k, v in spec.get("outputs", {}).items()}
    return results


@pytest.fixture
def repo(tmp_path: Path, sqlite_env: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "training_lines.py").write_text(TRAINING)
    return root


def deploy(repo: Path, schedule: Schedule | None, into: Path | None = None,
           **kwargs: Any) -> Path:
    pipeline = load_pipeline(f"{repo / 'training_lines.py'}:training")
    done = deploy_github_actions(
        pipeline, {"lr": 0.5}, schedule, into or repo,
        options={"install": "python -c 'import sundial'"}, **kwargs)
    return done.path


def secrets() -> dict[str, str]:
    return {"SUNDIAL_DATABASE_URL": os.environ.get("SUNDIAL_DATABASE_URL")
            or f"sqlite:///{Path(os.environ['SUNDIAL_HOME']) / 'sundial.db'}",
            "SUNDIAL_ARTIFACT_URI": str(Path(os.environ["SUNDIAL_HOME"]) / "artifacts")}


def test_a_scheduled_run_records_its_tick(repo: Path, tmp_path: Path) -> None:
    path = deploy(repo, Schedule(name="every5", cron_expression="*/5 * * * *",
                                 timezone="UTC"))
    assert path == repo / ".github" / "workflows" / "every5.yml"
    before = datetime.now(UTC)
    results = run_workflow(path, "schedule", {}, secrets(), tmp_path)
    assert results == {"tick": "success", "step_load": "success", "step_train": "success"}
    (run,) = Store.from_settings().list_runs()
    assert run.status == "completed"
    assert run.orchestrator == "github_actions"
    # The run GitHub's scheduler made is a tick of the schedule sundial registered.
    (schedule,) = Client().schedules.list()
    assert schedule.name == "every5" and run.schedule_id == schedule.id
    assert run.nominal_at is not None
    nominal = run.nominal_at.replace(tzinfo=UTC)
    assert nominal.minute % 5 == 0 and nominal.second == 0
    assert before - timedelta(minutes=5) < nominal <= datetime.now(UTC)
    assert run.steps["train"].status == "completed"


def test_a_tick_after_end_time_is_skipped_and_says_why(repo: Path, tmp_path: Path) -> None:
    end = datetime.now(UTC) - timedelta(days=1)
    path = deploy(repo, Schedule(name="ended", cron_expression="0 * * * *", timezone="UTC",
                                 start_time=end - timedelta(days=2), end_time=end))
    results = run_workflow(path, "schedule", {}, secrets(), tmp_path)
    assert results == {"tick": "success", "step_load": "skipped", "step_train": "skipped"}
    assert Store.from_settings().list_runs() == []


def test_deploy_refusals(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(OrchestratorError, match="not a git checkout"):
        deploy(repo, None, into=tmp_path / "nowhere")
    with pytest.raises(UnsupportedScheduleError, match="5 minutes"):
        deploy(repo, Schedule(name="x", cron_expression="* * * * *", timezone="UTC"))
    assert not (repo / ".github").exists(), "a refused deploy writes nothing"
    assert Client().schedules.list() == [], "and registers nothing"
    deploy(repo, None, name="nightly")
    deploy(repo, None, name="nightly")  # its own file: redeploys in place
    other = repo / ".github" / "workflows" / "ci.yml"
    other.write_text("on: push\n")
    with pytest.raises(AlreadyExistsError, match="replace") as info:
        deploy(repo, None, name="ci")
    assert info.value.cli_fix is not None and "--replace" in info.value.cli_fix
    with pytest.raises(AlreadyExistsError):
        deploy(repo, Schedule(name="ci", cron_expression="0 9 * * *", timezone="UTC"))
    assert Client().schedules.list() == [], "a refused create registers nothing"
    assert other.read_text() == "on: push\n"
    deploy(repo, None, name="ci", replace=True)
    assert other.read_text().startswith("# Generated by sundial")
