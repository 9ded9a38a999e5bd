"""A process killed (SIGKILL) while writing an artifact leaves no half-written artifact."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sundial import Client

CHILD = textwrap.dedent('''
    import os, signal
    from sundial import pipeline, step
    from sundial.engine import artifacts

    real_publish = artifacts._publish

    def die_on_second_output(tmp, path):
        # The temporary file of step `big` is fully written; the rename never happens.
        if "/big/" in tmp:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_publish(tmp, path)

    @step
    def first() -> list[int]:
        return [1, 2, 3]

    @step
    def big(x: list[int]) -> str:
        return "z" * 5_000_000

    @pipeline
    def killed():
        big(first())

    artifacts._publish = die_on_second_output
    killed()
''')


def test_sigkill_mid_write(sundial_env: Path, tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.run([sys.executable, str(script)], env=os.environ.copy(), timeout=120)
    assert proc.returncode == -9
    run = Client().list_runs(pipeline="killed")[0]
    assert run.status == "running"  # until a scheduler's reaper sees its heartbeat stop
    assert run.steps["first"].status == "completed"
    assert run.steps["first"].output.load() == [1, 2, 3]
    assert run.steps["big"].status == "running" and run.steps["big"].outputs == {}
    big_dir = sundial_env / "artifacts" / run.id / "big"
    assert not (big_dir / "output.json").exists()
    leftovers = list(big_dir.iterdir())
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".tmp-")
