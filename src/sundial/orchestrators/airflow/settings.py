"""Where the Airflow backend finds Airflow and how its tasks start sundial.

Each field is a setting (see ``orchestrators/settings.py``): a deploy option
(``sundial deploy airflow TARGET --dags-folder DIR``), an environment variable
(``SUNDIAL_AIRFLOW_DAGS_FOLDER``) or ``dags_folder = "..."`` under ``[orchestrators.airflow]``
in ``sundial.toml`` / ``$SUNDIAL_HOME/config.toml``. The ``airflow`` command runs with this
process's environment, so ``AIRFLOW_HOME`` and ``AIRFLOW__*`` settings pass through.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from pydantic import Field

from sundial.config import Settings
from sundial.orchestrators.airflow.compiler import StepCommand
from sundial.orchestrators.settings import BackendSettings
from sundial.store.urls import database_url

__all__ = ["INSTALL_HINT", "AirflowSettings", "default_step_argv", "store_env"]

INSTALL_HINT = (
    "install Airflow in its own environment (python -m venv af && af/bin/pip install "
    "'apache-airflow==3.*'; in this repository: scripts/airflow-venvs) and point "
    "SUNDIAL_AIRFLOW_EXECUTABLE at its bin/airflow"
)


class AirflowSettings(BackendSettings):
    executable: str = Field("airflow", description=(
        "the `airflow` command of the Airflow installation that runs the DAGs"))
    dags_folder: Path | None = Field(None, description=(
        "where DAG files are written (default: $AIRFLOW__CORE__DAGS_FOLDER, else "
        "$AIRFLOW_HOME/dags, else ~/airflow/dags)"))
    step_command: str | None = Field(None, description=(
        "the command that starts sundial in a task, shell-split (default: the `sundial` "
        "next to this Python; `sundial` in an --image)"))
    image: str | None = Field(None, description=(
        "run steps as KubernetesPodOperator pods of this image instead of BashOperator"))
    namespace: str = Field("default", description="the Kubernetes namespace of --image pods")
    parse_timeout: float = Field(330.0, description=(
        "seconds a run waits for Airflow to load a new DAG file (Airflow 2.10 scans for "
        "new files every 300 s)"))

    @property
    def folder(self) -> Path:
        """The DAGs folder, resolved."""
        return self.dags_folder.expanduser() if self.dags_folder else default_dags_folder()

    @property
    def step_argv(self) -> tuple[str, ...]:
        if self.step_command:
            return tuple(shlex.split(self.step_command))
        return ("sundial",) if self.image else default_step_argv()

    def command(self, settings: Settings | None = None) -> StepCommand:
        """How each task starts sundial, with the store of ``settings`` (default: this
        process's)."""
        return StepCommand(argv=self.step_argv, image=self.image, namespace=self.namespace,
                           env=store_env(settings or Settings.from_env()))

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
    url = database_url(settings.database_url)
    if not url.has_password:
        env["SUNDIAL_DATABASE_URL"] = url.text
    return env
