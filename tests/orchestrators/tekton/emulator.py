"""A stand-in for Tekton's controller: runs a PipelineRun created on ``kube_double``.

It does what the controller and its pods would with the resources sundial sent: the
Pipeline's tasks in ``runAfter`` order, each Task's one step as its ``command``/``args`` say
(``$(params.…)`` replaced by the PipelineRun's values, ``sundial`` by this environment's), a
task whose upstream failed skipped, then the ``Succeeded`` condition with Tekton's reason and
message. What it cannot show: images, pods, a real controller's timing and retries.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tekton.kube_double import Cluster

_PARAM = re.compile(r"\$\(params\.([a-z0-9-]+)\)")
SUNDIAL = str(Path(sys.executable).parent / "sundial")


def run_pipeline_run(cluster: Cluster, namespace: str, name: str) -> None:
    run = cluster.objects[(namespace, "pipelineruns", name)]
    values = {p["name"]: str(p["value"]) for p in run["spec"]["params"]}
    pipeline = cluster.objects[(namespace, "pipelines", run["spec"]["pipelineRef"]["name"])]
    cluster.set_condition(namespace, name, "Unknown", "Running")
    outcome: dict[str, str] = {}
    pending = list(pipeline["spec"]["tasks"])
    while pending:
        entry = next(e for e in pending if all(u in outcome for u in e.get("runAfter", [])))
        pending.remove(entry)
        if any(outcome[u] != "Succeeded" for u in entry.get("runAfter", [])):
            outcome[entry["name"]] = "Skipped"
            continue
        outcome[entry["name"]] = _run_task(cluster, namespace, entry, values)
    failed = sum(1 for o in outcome.values() if o == "Failed")
    skipped = sum(1 for o in outcome.values() if o == "Skipped")
    message = (f"Tasks Completed: {len(outcome) - skipped} (Failed: {failed}, Cancelled 0), "
               f"Skipped: {skipped}")
    if failed:
        cluster.set_condition(namespace, name, "False", "Failed", message)
    else:
        cluster.set_condition(namespace, name, "True", "Succeeded", message)


def _run_task(cluster: Cluster, namespace: str, entry: dict[str, Any],
              values: dict[str, str]) -> str:
    passed = {p["name"]: _PARAM.sub(lambda m: values[m.group(1)], str(p["value"]))
              for p in entry.get("params", [])}
    task = cluster.objects[(namespace, "tasks", entry["taskRef"]["name"])]
    (step,) = task["spec"]["steps"]
    argv = [_PARAM.sub(lambda m: passed[m.group(1)], a) for a in step["command"] + step["args"]]
    if argv[0] == "sundial":
        argv[0] = SUNDIAL
    env = {**os.environ, **{e["name"]: e["value"] for e in step.get("env", [])}}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    return "Succeeded" if done.returncode == 0 else "Failed"
