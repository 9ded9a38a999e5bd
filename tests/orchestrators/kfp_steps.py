"""Run a compiled KFP spec's steps here, the way a KFP driver would start their containers:
each task's command and arguments with the placeholders rendered, in DAG order, through
sundial's own CLI (in-process) with the spec's environment.

What it cannot show: a real launcher, pods, or the platform rendering its placeholders (the
test says what each renders to, from the platforms' documentation).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from typing import Any

_INPUT = re.compile(r"\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}")


def step_commands(spec: Mapping[str, Any], runtime: Mapping[str, str],
                  platform: Mapping[str, str]) -> list[tuple[list[str], dict[str, str]]]:
    """Each task's (argv after the command, environment), upstream tasks first.

    :param runtime: the pipeline parameters of the run (``sundial_run_id`` ...).
    :param platform: what the platform renders each ``{{$...}}`` placeholder to.
    """
    tasks = spec["root"]["dag"]["tasks"]
    executors = spec["deploymentSpec"]["executors"]
    components = spec["components"]
    done: list[str] = []
    while len(done) < len(tasks):
        for key, task in tasks.items():
            if key not in done and all(d in done for d in task.get("dependentTasks", [])):
                done.append(key)
    commands = []
    for key in done:
        task = tasks[key]
        values = {}
        for name, source in task["inputs"]["parameters"].items():
            if "componentInputParameter" in source:
                values[name] = runtime.get(source["componentInputParameter"], "")
            else:
                values[name] = platform[source["runtimeValue"]["constant"]]
        executor = components[task["componentRef"]["name"]]["executorLabel"]
        container = executors[executor]["container"]
        args = [_INPUT.sub(lambda m, v=values: v[m.group(1)], a) for a in container["args"]]
        env = {e["name"]: e["value"] for e in container.get("env", [])}
        commands.append((list(container["command"]) + args, env))
    return commands


def run_steps(spec: Mapping[str, Any], runtime: Mapping[str, str],
              platform: Mapping[str, str]) -> list[str]:
    """Run every step through ``sundial`` (in-process); returns each step's output."""
    from typer.testing import CliRunner

    from sundial.cli.app import app

    outputs = []
    for argv, env in step_commands(spec, runtime, platform):
        result = CliRunner().invoke(app, argv[1:], env=env)
        assert result.exit_code == 0, (argv, result.output, result.exception)
        outputs.append(result.output)
    return outputs


def run_step_processes(spec: Mapping[str, Any], runtime: Mapping[str, str],
                       platform: Mapping[str, str]) -> tuple[bool, str]:
    """Run every step as its own process, as the platform's containers would (the spec's
    command, e.g. this environment's ``sundial``), stopping at the first that fails;
    returns (all succeeded, the failing step's last line)."""
    for argv, env in step_commands(spec, runtime, platform):
        done = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=300, check=False)
        if done.returncode != 0:
            lines = (done.stdout + done.stderr).strip().splitlines() or ["(no output)"]
            return False, f"{argv[3]} exited {done.returncode}: {lines[-1]}"
    return True, ""
