"""`sundial deploy github_actions`: the workflow is written and the schedule registered, the
defaults GitHub honours its own way are printed, and a refusal speaks in flags."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from remote_doubles import TRAINING


def deploy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    repo = tmp_path / "repo"
    if not repo.exists():
        repo.mkdir()
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        (repo / "flow.py").write_text(TRAINING)
    env = {**os.environ, "SUNDIAL_HOME": str(tmp_path / "home")}
    for name in ("SUNDIAL_DATABASE_URL", "SUNDIAL_GITHUB_ACTIONS_TOKEN"):
        env.pop(name, None)
    exe = Path(sys.executable).parent / "sundial"
    return subprocess.run([str(exe), "deploy", "github_actions", f"{repo / 'flow.py'}:training",
                           "--repo-dir", str(repo), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_deploy_writes_the_workflow_and_says_what_github_does(tmp_path: Path) -> None:
    done = deploy(tmp_path, "--cron", "5 14 * * 3", "--tz", "Europe/Berlin", "--param", "lr=0.3",
                  "--name", "weekly")
    assert done.returncode == 0, done.stderr
    path = tmp_path / "repo" / ".github" / "workflows" / "weekly.yml"
    assert f"Wrote {path}" in done.stdout.replace("\n", "")
    assert "timezone: Europe/Berlin" in path.read_text()
    assert "catchup left at its default" in done.stdout
    assert "Registered schedule 'weekly'" in done.stdout


def test_a_refusal_names_flags(tmp_path: Path) -> None:
    done = deploy(tmp_path, "--cron", "30 1 * * *", "--tz", "America/New_York")
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "fall back repeats" in out and "--tz UTC" in out
    assert not (tmp_path / "repo" / ".github").exists()
