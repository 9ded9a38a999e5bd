"""``airflow``: a real Airflow 3 (``.airflow/3``) with its API server, DAG processor and
scheduler running for the whole module, so submitted and triggered runs really run there.

Airflow 2.10 is covered by ``test_airflow_real.py`` (DAG loading, next runs, ``dags test``,
its scheduler); running the whole suite on both would double its slowest part.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from test_airflow_real import REQUIRE, ROOT, Airflow, _free_port, start, stop_all

from contract.harness import Harness
from sundial.orchestrators.base import Orchestrator


class AirflowHarness(Harness):
    name = "airflow"
    timeout = 240.0

    @contextmanager
    def running(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        venv = ROOT / ".airflow" / "3"
        if not (venv / "bin" / "airflow").exists():
            message = "Airflow 3 is not installed in .airflow/3: run scripts/airflow-venvs"
            if REQUIRE:
                pytest.fail(message + " (required under SUNDIAL_REQUIRE_AIRFLOW=1 / CI)")
            pytest.skip(message)
        self.airflow = Airflow("3", venv / "bin", self.tmp / "airflow-home", _free_port())
        self.dags, logs = self.tmp / "dags", self.tmp / "logs"
        self.dags.mkdir()
        logs.mkdir()
        migrated = self.airflow.run("db", "migrate", dags=self.dags, timeout=300)
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        for key, value in self.airflow.env(self.dags).items():
            monkeypatch.setenv(key, value)
        processes = [
            start(self.airflow, self.dags, logs, "api-server", "--host", "127.0.0.1", "--port",
                  str(self.airflow.port), "--workers", "1"),
            start(self.airflow, self.dags, logs, "dag-processor"),
            start(self.airflow, self.dags, logs, "scheduler", "--skip-serve-logs"),
        ]
        try:
            yield
        finally:
            stop_all(processes)

    def options(self) -> dict[str, Any]:
        return {"executable": str(self.airflow.bin / "airflow"), "dags_folder": str(self.dags),
                "parse_timeout": 120}

    def sync(self, backend: Orchestrator) -> None:
        """Make Airflow parse the DAG folder now rather than at its next scan."""
        done = self.airflow.run("dags", "reserialize", dags=self.dags)
        assert done.returncode == 0, done.stderr[-2000:]


HARNESS = AirflowHarness
