"""What ``sundial step run`` does, apart from its command line: shared by the Typer command
and the light entry point (:mod:`sundial.cli.step_fast`) that remote tasks use.

Plain Python only (no Typer, no Rich): every remote backend starts one process per step, so
what this imports is paid once per step of every run.
"""

from __future__ import annotations

import json
from datetime import datetime

from sundial.errors import ParameterError, RunFailedError


def step_command(step: str, *, run_id: str | None, version_id: int | None,
                 external_id: str | None, params: str, nominal: datetime | None,
                 orchestrator: str, schedule_id: str | None = None,
                 nominal_from_job: str | None = None) -> str:
    """Run ``step`` of the run (created on first use from ``version_id``/``external_id``);
    returns the line to print. Raises RunFailedError when the step failed."""
    from sundial.config import Settings
    from sundial.engine.artifacts import ArtifactStore
    from sundial.engine.step_runner import ensure_run, run_step
    from sundial.store.store import Store

    settings = Settings.from_env()
    store = Store(settings.database_url)
    if not run_id:  # empty: the platform made this run itself (no run id in its conf)
        run_id = None
    if run_id is None:
        if version_id is None or external_id is None:
            raise ParameterError("sundial step run needs --run-id, or --version-id with "
                                 "--external-id", "pass --run-id RUN_ID for an existing run")
        try:
            values = json.loads(params)
        except json.JSONDecodeError as err:
            raise ParameterError(f"--params is not JSON: {err}",
                                 "pass an object, e.g. --params '{\"lr\": 0.2}'") from None
        if nominal is None and nominal_from_job:
            from sundial.orchestrators.kubernetes.manifests import nominal_from_job_name

            try:
                nominal = nominal_from_job_name(nominal_from_job)
            except ValueError as err:
                raise ParameterError(f"--nominal-from-job: {err}",
                                     "pass the name the CronJob controller gave the Job, or "
                                     "--nominal") from None
        if nominal is not None and nominal.tzinfo is None:
            raise ParameterError(f"--nominal {nominal.isoformat()} has no UTC offset",
                                 "pass an aware instant, e.g. 2026-11-23T14:05:00+00:00")
        run_id = ensure_run(store, version_id=version_id, external_id=external_id,
                            params=values, orchestrator=orchestrator, nominal_at=nominal,
                            schedule_id=schedule_id or None)
    status = run_step(store, ArtifactStore(settings.artifact_uri), run_id, step)
    if status == "failed":
        raise RunFailedError(f"step '{step}' of run {run_id} failed",
                             f"see `sundial runs logs {run_id} --step {step}`", run_id=run_id)
    return f"step {step} of run {run_id}: {status}"
