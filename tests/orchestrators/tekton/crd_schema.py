"""Tekton's own CRD schemas (tekton.dev/v1 Task, Pipeline, PipelineRun) as validators.

The schemas in ``schemas/`` are the ``openAPIV3Schema`` of Tekton Pipelines' CRDs
(``config/300-crds`` of tektoncd/pipeline, Apache-2.0, descriptions removed; the source
commit is in each file). The API server prunes or, with strict field validation, rejects a
field its schema does not list: the validator does the same by forbidding properties an
object's schema does not name, unless it says ``x-kubernetes-preserve-unknown-fields``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

SCHEMAS = Path(__file__).parent / "schemas"
FILES = {"Task": "task.v1.json", "Pipeline": "pipeline.v1.json",
         "PipelineRun": "pipelinerun.v1.json"}


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        out.pop("x-kubernetes-list-type", None)
        out.pop("x-kubernetes-list-map-keys", None)
        if ("properties" in out and not out.pop("x-kubernetes-preserve-unknown-fields", False)
                and "additionalProperties" not in out):
            out["additionalProperties"] = False
        out.pop("x-kubernetes-preserve-unknown-fields", None)
        out.pop("x-kubernetes-int-or-string", None)
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@cache
def validator(kind: str) -> Draft7Validator:
    schema = json.loads((SCHEMAS / FILES[kind]).read_text())["schema"]
    return Draft7Validator(_strict(schema))


def problems(resource: dict[str, Any]) -> list[str]:
    """Every way ``resource`` breaks its kind's CRD schema (empty: it conforms)."""
    kind = resource.get("kind", "")
    if resource.get("apiVersion") != "tekton.dev/v1" or kind not in FILES:
        return [f"not a tekton.dev/v1 Task, Pipeline or PipelineRun: "
                f"{resource.get('apiVersion')} {kind}"]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(kind).iter_errors(resource)]
