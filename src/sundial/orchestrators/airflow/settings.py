"""Where the Airflow backend finds Airflow and how its tasks start sundial, read from the
environment each time (like ``sundial.config``), so a test or a CLI flag can change them.

- ``SUNDIAL_AIRFLOW_EXECUTABLE``: the ``airflow`` command of the Airflow installation
  (default: ``airflow`` on ``PATH``). Its processes get this process's environment, so
  ``AIRFLOW_HOME`` and ``AIRFLOW__*`` settings pass through.
- ``SUNDIAL_AIRFLOW_DAGS_FOLDER``: where DAG files are written (default: Airflow's own
  ``AIRFLOW__CORE__DAGS_FOLDER``, else ``$AIRFLOW_HOME/dags``, else ``~/airflow/dags``).
- ``SUNDIAL_AIRFLOW_STEP_COMMAND``: the command that starts sundial in a task, shell-split
  (default: the ``sundial`` executable next to this Python, so workers on this machine use
  this very installation).
- ``SUNDIAL_AIRFLOW_IMAGE`` / ``SUNDIAL_AIRFLOW_NAMESPACE``: run steps as Kubernetes pods
  of that image instead (``KubernetesPodOperator``).
- ``SUNDIAL_AIRFLOW_PARSE_TIMEOUT``: how long a run-now waits for Airflow to load its new DAG
  (default 330 s: Airflow 2.10 scans a DAG folder for new files every 300 s).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from sundial.config import Settings
from sundial.orchestrators.airflow.compiler import StepCommand

__all__ = ["INSTALL_HINT", "AirflowSettings", "default_step_argv", "store_env"]

INSTALL_HINT = (
    "install Airflow in its own environment (python -m venv af && af/bin/pip install "
    "'apache-airflow==3.*'; in this repository: scripts/airflow-venvs) and point "
    "SUNDIAL_AIRFLOW_EXECUTABLE at its bin/airflow"
)


@dataclass(frozen=True)
class AirflowSettings:
    executable: str
    dags_folder: Path
    step_argv: tuple[str, ...]
    image: str | None = None
    namespace: str = "default"
    step_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> AirflowSettings:
        env = os.environ
        image = env.get("SUNDIAL_AIRFLOW_IMAGE") or None
        step = env.get("SUNDIAL_AIRFLOW_STEP_COMMAND")
        argv = tuple(shlex.split(step)) if step else (
            ("sundial",) if image else default_step_argv())
        return cls(executable=env.get("SUNDIAL_AIRFLOW_EXECUTABLE") or "airflow",
                   dags_folder=default_dags_folder(), step_argv=argv, image=image,
                   namespace=env.get("SUNDIAL_AIRFLOW_NAMESPACE") or "default",
                   step_env=store_env(Settings.from_env()))

    def command(self) -> StepCommand:
        return StepCommand(argv=self.step_argv, image=self.image, namespace=self.namespace,
                           env=self.step_env)

    def resolved_executable(self) -> str | None:
        """The full path of the ``airflow`` command, or ``None`` when there is none."""
        return shutil.which(self.executable)


def default_dags_folder() -> Path:
    env = os.environ
    if env.get("SUNDIAL_AIRFLOW_DAGS_FOLDER"):
        return Path(env["SUNDIAL_AIRFLOW_DAGS_FOLDER"]).expanduser()
    if env.get("AIRFLOW__CORE__DAGS_FOLDER"):
        return Path(env["AIRFLOW__CORE__DAGS_FOLDER"]).expanduser()
    home = Path(env.get("AIRFLOW_HOME") or Path.home() / "airflow").expanduser()
    return home / "dags"


def default_step_argv() -> tuple[str, ...]:
    """The ``sundial`` executable of this environment, by absolute path: Airflow's workers
    have their own ``PATH``, on which the first ``sundial`` may be another installation."""
    sibling = Path(sys.executable).parent / "sundial"
    return (str(sibling),) if sibling.exists() else ("sundial",)


def store_env(settings: Settings) -> dict[str, str]:
    """The store this process uses, for the steps to use too (run ids are per store).

    A database URL with a password is left out, so that no secret is written into a DAG
    file: give it to Airflow's workers in their own environment.
    """
    artifacts = settings.artifact_uri
    if "://" not in artifacts:  # a local path: a worker's working directory is elsewhere
        artifacts = str(Path(artifacts).expanduser().resolve())
    env = {"SUNDIAL_ARTIFACT_URI": artifacts}
    url = make_url(settings.database_url)
    if url.password is not None:
        return env
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).expanduser().resolve()))
    env["SUNDIAL_DATABASE_URL"] = url.render_as_string(hide_password=False)
    return env
