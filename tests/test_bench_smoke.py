"""Every benchmark still runs: each ``bench/*.py`` script in its ``--smoke`` mode.

Benchmarks are not run by anything else in the suite, so without this a renamed method breaks
them unseen (issue 9). Smoke mode uses tiny sizes and no peer framework; its figures mean
nothing and nothing here looks at them: the test only asserts that the script completes and
prints its report. New scripts in bench/ are picked up by the glob (helpers start with ``_``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_"))


def test_there_are_benchmarks() -> None:
    assert SCRIPTS, f"no benchmark scripts found in {BENCH}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_bench_smoke(script: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDIAL_")}
    env["SUNDIAL_HOME"] = str(tmp_path / "home")
    proc = subprocess.run([sys.executable, str(script), "--smoke"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    tail = (proc.stdout[-3000:] + "\n--- stderr ---\n" + proc.stderr[-3000:])
    assert proc.returncode == 0, f"{script.name} --smoke exited {proc.returncode}:\n{tail}"
    assert "load average" in proc.stdout, f"{script.name} --smoke printed no report:\n{tail}"
    assert "Traceback" not in proc.stderr, tail
