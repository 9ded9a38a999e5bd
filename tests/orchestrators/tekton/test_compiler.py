"""The Tekton resources sundial generates, checked by tekton-lint and Tekton's CRD schemas.

What these cannot show: that a Tekton controller runs them (no cluster here). The schemas
check each field's name and type as the API server would; tekton-lint checks what the
schemas cannot (params used but not declared, runAfter naming a missing task, names).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from nodetools import tekton_lint

from sundial.orchestrators.tekton.compiler import (
    TektonImage,
    TektonSpec,
    compile_pipeline,
    pipeline_run,
    resource_name,
)
from tekton.crd_schema import problems

STEPS = [{"id": "load", "upstream": []}, {"id": "train_Model", "upstream": ["load"]},
         {"id": "report", "upstream": ["load", "train_Model"]}]
SPEC = TektonSpec(pipeline="Training_Pipeline", version_id=12, steps=STEPS, namespace="ml",
                  image=TektonImage(image="localhost/sundial-training:3f2a",
                                    service_account="runner", env={"LOG": "1"}))
RUN_ID = "6f1c2a9e-0d4b-4a55-9d0e-1b2c3d4e5f60"


def resources() -> list[dict[str, Any]]:
    return [*compile_pipeline(SPEC),
            pipeline_run(SPEC, "training-pipeline-v12-0a1b2c3d", RUN_ID, timeout="1h0m0s")]


def test_every_resource_conforms_to_tektons_crd_schema() -> None:
    for resource in resources():
        assert problems(resource) == [], resource["kind"]


def test_the_schema_check_is_real() -> None:
    task = compile_pipeline(SPEC)[0]
    task["spec"]["steps"][0]["imagePullPolicy"] = 3
    task["spec"]["stepz"] = []
    found = problems(task)
    assert any("imagePullPolicy" in p for p in found)
    assert any("stepz" in p for p in found)


@pytest.fixture(scope="module")
def linted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """tekton-lint on the resources as written, and on a copy broken on purpose."""
    folder = tmp_path_factory.mktemp("tekton")
    good = folder / "good.yaml"
    good.write_text(yaml.safe_dump_all(resources(), sort_keys=False))
    bad_docs = resources()
    pipeline = bad_docs[-2]
    pipeline["spec"]["tasks"][1]["runAfter"] = ["nowhere"]
    bad_docs[0]["spec"]["steps"][0]["args"].append("$(params.run_id)")
    bad_folder = folder / "bad"
    bad_folder.mkdir()
    bad = bad_folder / "bad.yaml"
    bad.write_text(yaml.safe_dump_all(bad_docs, sort_keys=False))
    return {"good": tekton_lint(good), "bad": tekton_lint(bad)}


def test_tekton_lint_accepts_the_resources(linted: dict[str, Any]) -> None:
    assert linted["good"] == []


def test_tekton_lint_is_a_real_check(linted: dict[str, Any]) -> None:
    assert {p["rule"] for p in linted["bad"]} >= {"no-pipeline-missing-task",
                                                  "no-undefined-param"}


def test_pipeline_follows_the_dag() -> None:
    *tasks, pipeline = compile_pipeline(SPEC)
    assert [t["metadata"]["name"] for t in tasks] == [
        "training-pipeline-v12-load", "training-pipeline-v12-train-model",
        "training-pipeline-v12-report"]
    entries = {t["name"]: t for t in pipeline["spec"]["tasks"]}
    assert entries["report"]["runAfter"] == ["load", "train-model"]
    assert "runAfter" not in entries["load"]
    step = tasks[1]["spec"]["steps"][0]
    assert step["command"] == ["sundial"]
    assert step["args"] == ["step", "run", "--run-id", "$(params.run-id)", "train_Model"]
    assert step["envFrom"] == [{"secretRef": {"name": "sundial-store"}}]


def test_pipeline_run_passes_the_recorded_run() -> None:
    run = resources()[-1]
    assert run["spec"]["params"] == [{"name": "run-id", "value": RUN_ID}]
    assert run["metadata"]["labels"]["sundial.dev/run"] == RUN_ID
    assert run["spec"]["taskRunTemplate"] == {"serviceAccountName": "runner"}
    assert run["spec"]["timeouts"] == {"pipeline": "1h0m0s"}


@pytest.mark.parametrize(("text", "expected"), [
    ("Training_Pipeline", "training-pipeline"), ("--a..b--", "a-b"), ("", "sundial"),
    ("x" * 80, "x" * 63)])
def test_resource_names_are_dns_labels(text: str, expected: str) -> None:
    assert resource_name(text) == expected


def test_no_secret_in_the_resources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SUNDIAL_DATABASE_URL", "postgresql://u:hunter2@db/x")
    assert "hunter2" not in yaml.safe_dump_all(resources())
