"""Airflow's own command line, run as a subprocess of a given installation.

sundial cannot import Airflow (each pins its own SQLAlchemy), so pause, resume, delete and
trigger go through the ``airflow`` command of the installation that runs the DAGs, with this
process's environment (``AIRFLOW_HOME``, ``AIRFLOW__*``). The CLI talks to Airflow's metadata
database directly, on 2.10 and 3.x alike, so no API server or credentials are needed.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

from sundial.errors import BackendNotInstalledError, OrchestratorError
from sundial.orchestrators.airflow.settings import INSTALL_HINT

__all__ = ["AirflowCLI"]


class AirflowCLI:
    """One Airflow installation, through its ``airflow`` executable."""

    def __init__(self, executable: str, *, env: Mapping[str, str] | None = None,
                 timeout: float = 300.0) -> None:
        self.executable = executable
        self.env = dict(os.environ if env is None else env)
        self.timeout = timeout

    def run(self, *args: str, ok_if: str | tuple[str, ...] | None = None) -> str:
        """Run ``airflow ARGS``; returns its stdout.

        :param ok_if: a failure whose output contains this text counts as success (e.g. a
            DAG that Airflow does not know yet, for an idempotent delete).
        :raises BackendNotInstalledError: the executable does not exist.
        :raises OrchestratorError: the command failed; the headline carries its last line.
        """
        try:
            done = subprocess.run([self.executable, *args], env=self.env, capture_output=True,
                                  text=True, timeout=self.timeout, check=False)
        except FileNotFoundError:
            raise BackendNotInstalledError(
                f"the Airflow command {self.executable!r} does not exist", INSTALL_HINT
            ) from None
        except subprocess.TimeoutExpired:
            raise OrchestratorError(
                f"`airflow {' '.join(args)}` did not finish in {self.timeout:g}s",
                "check that Airflow's metadata database is reachable (airflow db check)"
            ) from None
        if done.returncode != 0:
            output = done.stdout + done.stderr
            wanted = (ok_if,) if isinstance(ok_if, str) else ok_if or ()
            if any(w.lower() in output.lower() for w in wanted):
                return done.stdout
            last = [ln for ln in output.strip().splitlines() if ln.strip()][-1:] or ["(no output)"]
            raise OrchestratorError(
                f"`airflow {' '.join(args)}` failed (exit {done.returncode}): {last[0][:300]}",
                f"run it by hand with AIRFLOW_HOME={self.env.get('AIRFLOW_HOME', '~/airflow')} "
                "to see the whole output")
        return done.stdout

    @cached_property
    def major(self) -> int:
        """Airflow's major version (2 or 3): a few CLI commands differ between them."""
        out = self.run("version").strip().splitlines()
        version = out[-1].strip() if out else ""
        try:
            return int(version.split(".")[0])
        except ValueError:
            raise OrchestratorError(f"cannot read Airflow's version from {version!r}",
                                    INSTALL_HINT) from None

    def pause(self, dag_id: str) -> None:
        # A DAG that Airflow has not parsed yet is "no unpaused DAGs found", exit 0: the DAG
        # file's is_paused_upon_creation then decides, and sundial writes it to match.
        self.run("dags", "pause", dag_id, "--yes")

    def unpause(self, dag_id: str) -> None:
        self.run("dags", "unpause", dag_id, "--yes")

    def delete(self, dag_id: str) -> None:
        """Remove the DAG's records from Airflow (idempotent)."""
        self.run("dags", "delete", dag_id, "--yes", ok_if="not found")

    def reserialize(self) -> None:
        """Parse the DAG folder now, rather than at the DAG processor's next scan."""
        self.run("dags", "reserialize")

    def trigger(self, dag_id: str, run_id: str, *, conf: str | None = None,
                logical_date: datetime | None = None) -> None:
        """Create a DAG run now; ``conf`` (JSON) reaches its tasks, and ``logical_date``
        (exact to the microsecond) makes it the run of that tick."""
        args = ["dags", "trigger", dag_id, "--run-id", run_id]
        if conf is not None:
            args += ["--conf", conf]
        if logical_date is not None:
            flag = "--exec-date" if self.major < 3 else "--logical-date"
            args += [flag, logical_date.isoformat(), "--no-replace-microseconds"]
        self.run(*args)

    def details(self, dag_id: str) -> dict[str, Any] | None:
        """Airflow's own record of the DAG (paused, next run ...), or None if unknown."""
        out = self.run("dags", "details", dag_id, "-o", "json",
                       ok_if=("not found", "does not exist"))
        found = [ln for ln in out.splitlines() if ln.startswith("[") or ln.startswith("{")]
        if not found:
            return None
        data = json.loads(found[-1])
        rows = data if isinstance(data, list) else [data]
        return dict(rows[0]) if rows else None

    def list_runs(self, dag_id: str) -> list[dict[str, Any]]:
        """The DAG's runs as Airflow lists them (``dag_id``, ``run_id``, ``state`` ...)."""
        args = ["-d", dag_id] if self.major < 3 else [dag_id]
        out = self.run("dags", "list-runs", *args, "-o", "json", ok_if="not found")
        # Airflow 2 logs to stdout as well; the JSON is the line that starts a list.
        lists = [ln for ln in out.splitlines() if ln.startswith("[")]
        runs: list[dict[str, Any]] = json.loads(lists[-1]) if lists else []
        return runs
