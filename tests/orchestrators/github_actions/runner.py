"""A local stand-in for GitHub's runners: a workflow's jobs, run as their ``run:`` lines say.

It reads the workflow sundial wrote, orders the jobs by ``needs:``, evaluates the job ``if:``
and each ``${{ }}`` expression the file uses (any other expression is an error), runs each
``run:`` line with GitHub's default shell (``bash --noprofile --norc -eo pipefail``) and passes
``$GITHUB_OUTPUT`` between steps and jobs as GitHub does. ``uses:`` steps (checkout,
setup-python) are left out: the lines run in this checkout with this Python, which is what
they would install. What it cannot show: GitHub's runners and its expression engine beyond
the expressions sundial writes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
REPOSITORY = "acme/ml"


class Context:
    def __init__(self, event: str, inputs: dict[str, str], secrets: dict[str, str],
                 run_id: str) -> None:
        self.event, self.inputs, self.secrets, self.run_id = event, inputs, secrets, run_id
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
                return self.run_id
            case ["github", "workflow"]:
                return "workflow"
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


def run_workflow(text: str, event: str, inputs: dict[str, str], secrets: dict[str, str],
                 tmp_path: Path, run_id: str = "4242") -> dict[str, str]:
    """Run every job of the workflow ``text`` for one event; returns job id → success,
    failure or skipped."""
    jobs: dict[str, Any] = yaml.safe_load(text)["jobs"]
    context = Context(event, inputs, secrets, run_id)
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
                output = tmp_path / f"{run_id}-{job}-{number}.out"
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




def run_dispatched(hub: Any, run_id: int) -> None:
    """What GitHub does with a dispatched run on ``github_double``: its workflow's jobs run
    (here, with this environment's store as the repository secrets), then the run is
    completed with GitHub's conclusion."""
    import tempfile

    from sundial.config import Settings

    run = hub.runs[run_id]
    run["status"] = "in_progress"
    settings = Settings.from_env()
    secrets = {"SUNDIAL_DATABASE_URL": settings.database_url,
               "SUNDIAL_ARTIFACT_URI": str(settings.artifact_uri)}
    with tempfile.TemporaryDirectory() as work:
        results = run_workflow(hub.files[run["path"]], "workflow_dispatch", run["inputs"],
                               secrets, Path(work), run_id=str(run_id))
    run.update(status="completed",
               conclusion="failure" if "failure" in results.values() else "success")
