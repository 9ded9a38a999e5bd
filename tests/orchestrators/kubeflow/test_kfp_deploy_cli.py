"""`sundial deploy kubeflow` and `sundial deploy vertex` as a user types them, against the
loopback doubles: the schedule lands on the platform and in the store, the defaults the
platform honours its own way are printed, and a refusal speaks in flags and creates nothing.

What it cannot show: a real KFP or Vertex (see the doubles' docstrings)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from kfp_double import KfpDouble, serve_kfp
from remote_doubles import TRAINING

sys.path.insert(0, str(Path(__file__).parents[1] / "vertex"))
from vertex_double import VertexDouble, serve_vertex


@pytest.fixture
def kfp() -> Iterator[KfpDouble]:
    with serve_kfp() as double:
        yield double
        assert double.violations == []


@pytest.fixture
def vertex() -> Iterator[VertexDouble]:
    with serve_vertex() as double:
        yield double
        assert double.violations == []


def deploy(tmp_path: Path, backend: str, *args: str) -> subprocess.CompletedProcess[str]:
    flow = tmp_path / "flow.py"
    flow.write_text(TRAINING)
    env = {**os.environ, "SUNDIAL_HOME": str(tmp_path / "home"), "NO_GCE_CHECK": "True"}
    env.pop("SUNDIAL_DATABASE_URL", None)
    exe = Path(sys.executable).parent / "sundial"
    return subprocess.run([str(exe), "deploy", backend, f"{flow}:training", *args],
                          capture_output=True, text=True, env=env, timeout=180)


def test_deploy_kubeflow(tmp_path: Path, kfp: KfpDouble) -> None:
    done = deploy(tmp_path, "kubeflow", "--cron", "5 14 * * 3", "--tz", "UTC",
                  "--name", "weekly", "--host", kfp.url, "--image", "registry.local/t:1")
    assert done.returncode == 0, done.stdout + done.stderr
    (rec,) = kfp.recurring.values()
    assert rec["display_name"] == "weekly"
    assert rec["trigger"]["cron_schedule"]["cron"] == "0 5 14 * * 3"
    assert "overlap" in done.stdout  # left at its default: KFP's rule, printed


def test_deploy_kubeflow_refusal_names_flags(tmp_path: Path, kfp: KfpDouble) -> None:
    done = deploy(tmp_path, "kubeflow", "--cron", "5 14 * * 3", "--tz", "Europe/Berlin",
                  "--host", kfp.url, "--image", "registry.local/t:1")
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "--tz UTC" in out and "--sundial-mode" in out
    assert kfp.recurring == {}


def test_deploy_vertex(tmp_path: Path, vertex: VertexDouble) -> None:
    done = deploy(tmp_path, "vertex", "--cron", "30 6 * * 1-5", "--tz", "Europe/Berlin",
                  "--catchup", "--name", "mornings", "--project", "proj",
                  "--pipeline-root", "gs://b/p", "--api-endpoint", vertex.url,
                  "--credentials", "anonymous", "--image", "registry.local/t:1")
    assert done.returncode == 0, done.stdout + done.stderr
    (sched,) = vertex.schedules.values()
    assert sched["cron"] == "TZ=Europe/Berlin 30 6 * * 1,2,3,4,5"
    assert sched["displayName"] == "mornings"


def test_deploy_vertex_interval_without_a_cron_is_refused(tmp_path: Path,
                                                          vertex: VertexDouble) -> None:
    done = deploy(tmp_path, "vertex", "--interval", "7m", "--catchup", "--project", "proj",
                  "--pipeline-root", "gs://b/p", "--api-endpoint", vertex.url,
                  "--credentials", "anonymous", "--image", "registry.local/t:1")
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "cron only" in out and "--sundial-mode" in out
    assert vertex.schedules == {}
