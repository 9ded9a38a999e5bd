"""Cache keys: a step's output may be reused when everything that could change it is equal."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sundial.definition.step import Step
from sundial.engine.materializers import for_annotation


def _canonical(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, allow_nan=True)
    except (TypeError, ValueError):
        # Not JSON: repr is conservative (an object whose repr holds its address never hits).
        return f"repr:{type(value).__module__}.{type(value).__qualname__}:{value!r}"


def cache_key(step: Step, params: dict[str, Any], input_hashes: dict[str, str]) -> str:
    """Covers the step's source code, its parameters, the content hashes of its inputs, its
    output names and the versions of the materializers its outputs imply."""
    payload = {
        "v": 1,
        "source": step.source_hash,
        "params": {k: _canonical(v) for k, v in sorted(params.items())},
        "inputs": dict(sorted(input_hashes.items())),
        "outputs": list(step.output_names),
        "materializers": [for_annotation(tp) for tp in step.outputs.values()],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
