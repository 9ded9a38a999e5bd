"""The files that run the scheduler as a service: the systemd unit passes `systemd-analyze
verify` (with ExecStart pointing at this sundial), and the Containerfile builds an image
that runs the scheduler and stops it cleanly on `podman stop` (SIGTERM, exit 0)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from sundial.errors import OrchestratorError
from sundial.images import find_engine

ROOT = Path(__file__).parents[2]
REQUIRE_PODMAN = os.environ.get("SUNDIAL_REQUIRE_PODMAN") == "1" or \
    os.environ.get("CI") == "true"
BASE = os.environ.get("SUNDIAL_TEST_BASE_IMAGE", "localhost/sundial-base:latest")
WHEELHOUSE = ROOT / ".cache" / "wheelhouse"


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    sundial = Path(sys.executable).parent / "sundial"
    unit = (ROOT / "deploy" / "sundial-scheduler.service").read_text()
    assert "ExecStart=/opt/sundial/bin/sundial scheduler\n" in unit
    (tmp_path / "sundial-scheduler.service").write_text(
        unit.replace("/opt/sundial/bin/sundial", str(sundial)))
    done = subprocess.run([analyze, "verify", str(tmp_path / "sundial-scheduler.service")],
                          capture_output=True, text=True, timeout=60)
    # verify only warns (exit 0) about a setting it cannot parse: any output is a defect.
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stderr


def _podman() -> tuple[str, list[str]]:
    def unavailable(msg: str) -> None:
        if REQUIRE_PODMAN:
            pytest.fail(msg + " (required under make test / CI: run scripts/container-base)")
        pytest.skip(msg)

    try:
        engine = find_engine()
    except OrchestratorError as err:
        unavailable(str(err))
        raise
    if not engine.image_exists(BASE) or not WHEELHOUSE.is_dir():
        unavailable(f"base image {BASE} or the wheelhouse {WHEELHOUSE} is missing")
    return engine.path, engine.common_flags()


def _wheels(out: Path) -> None:
    """Wheels of this sundial and its dependencies, as docs/deploy.md builds them (here from
    the wheelhouse scripts/container-base made, since no index is reachable)."""
    src = out.parent / "src"
    src.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", src)
    shutil.copy2(ROOT / "README.md", src)
    shutil.copytree(ROOT / "src" / "sundial", src / "src" / "sundial",
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-index",
                    "--find-links", str(WHEELHOUSE), "--wheel-dir", str(out), str(src)],
                   check=True, timeout=600)


def test_the_scheduler_image_runs_and_stops_cleanly(tmp_path: Path) -> None:
    podman, flags = _podman()
    context = tmp_path / "context"
    context.mkdir()
    _wheels(context / "wheels")
    tag = f"localhost/sundial-scheduler-test:{uuid.uuid4().hex[:8]}"
    name = f"sundial-scheduler-{uuid.uuid4().hex[:8]}"
    built = subprocess.run([podman, "build", *flags, "--network", "none", "--build-arg",
                            f"BASE={BASE}", "-f", str(ROOT / "deploy" / "Containerfile"),
                            "-t", tag, str(context)], capture_output=True, text=True,
                           timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    try:
        version = subprocess.run([podman, "run", "--rm", *flags, "--network", "none", tag,
                                  "--version"], capture_output=True, text=True, timeout=120)
        assert version.stdout.startswith("sundial "), version.stderr
        started = subprocess.run([podman, "run", "-d", *flags, "--network", "none",
                                  "--name", name, tag], capture_output=True, text=True,
                                 timeout=120)
        assert started.returncode == 0, started.stderr
        pause, logs = threading.Event(), ""
        for _ in range(600):  # bounded: a minute
            logs = subprocess.run([podman, "logs", name], capture_output=True, text=True,
                                  timeout=60).stderr
            if "serving sqlite" in logs:
                break
            pause.wait(0.1)
        assert "serving sqlite" in logs, logs
        subprocess.run([podman, "stop", "-t", "30", name], check=True, capture_output=True,
                       timeout=120)
        state = subprocess.run([podman, "inspect", name, "--format", "{{.State.ExitCode}}"],
                               capture_output=True, text=True, timeout=60).stdout.strip()
        logs = subprocess.run([podman, "logs", name], capture_output=True, text=True,
                              timeout=60).stderr
        assert state == "0", logs
        messages = [json.loads(line)["message"] for line in logs.splitlines()]
        assert any(m.startswith("signal 15: stopping") for m in messages), messages
        assert messages[-1].endswith("stopped")
    finally:
        subprocess.run([podman, "rm", "-f", name], capture_output=True, timeout=120)
        subprocess.run([podman, "rmi", "-f", tag], capture_output=True, timeout=120)
