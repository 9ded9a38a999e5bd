"""The orchestrator contract: declarations, refusals in the caller's language, defaults that
give way, the registry, settings from options / environment / config files, the generated docs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from sundial import Schedule
from sundial.errors import ConfigError, NotFoundError, UnsupportedScheduleError
from sundial.orchestrators.base import (
    SCHEDULE_FEATURES,
    SCHEDULE_OPERATIONS,
    Capability,
    Orchestrator,
    RunRequest,
    RunState,
    features_used,
    fields_left_default,
)
from sundial.orchestrators.matrix import markdown
from sundial.orchestrators.native import Problem
from sundial.orchestrators.registry import BACKENDS, orchestrator_class

DOCS = Path(__file__).parents[2] / "docs" / "orchestrators.md"


@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_backend_declares_every_feature_and_operation(name: str) -> None:
    cls = orchestrator_class(name)
    assert cls.name == name
    assert set(cls.capabilities) == set(SCHEDULE_FEATURES)
    assert all(isinstance(c, Capability) for c in cls.capabilities.values())
    assert set(cls.unsupported_operations) <= set(SCHEDULE_OPERATIONS)
    for op in SCHEDULE_OPERATIONS:
        method = f"{op}_schedule"
        implemented = getattr(cls, method) is not getattr(Orchestrator, method)
        declared = op in cls.unsupported_operations
        # Each operation is implemented or declared unsupported with the way instead; backfill
        # may come for free from trigger.
        assert implemented != declared or (op == "backfill" and not declared), (name, op)
        if declared:
            assert cls.unsupported_operations[op].strip(), (name, op)
    for feature in list(cls.defaults) + list(cls.conditions):
        assert feature in SCHEDULE_FEATURES or feature in Schedule.model_fields, (name, feature)


def test_features_used() -> None:
    cron = Schedule(cron_expression="5 14 * * 3", timezone="Europe/Berlin")
    assert features_used(cron) == ["cron_expression", "timezone", "catchup", "overlap=queue",
                                   "max_active_runs"]
    every = Schedule(interval_second=60, jitter=5, max_runs=3,
                     catchup_window=timedelta(hours=1), overlap="skip")
    assert features_used(every) == [
        "interval_second", "start_time", "catchup", "overlap=skip", "max_active_runs",
        "catchup_window", "jitter", "max_runs"]


def test_fields_left_default_are_those_the_user_did_not_write() -> None:
    left = fields_left_default(Schedule(cron_expression="5 14 * * 3"))
    assert {"catchup", "overlap", "max_active_runs", "timezone", "jitter"} <= left
    assert "cron_expression" not in left
    assert "catchup" not in fields_left_default(Schedule(cron_expression="5 14 * * 3",
                                                         catchup=False))


class CronOnly(Orchestrator):
    """A backend that honours cron natively, refuses jitter, and has Airflow's kind of
    combination rule (queue needs catch-up), for testing the base class alone."""

    name = "cron-only"
    description = "test backend"
    capabilities: ClassVar[dict[str, Capability]] = {
        f: Capability.SUNDIAL for f in SCHEDULE_FEATURES} | {
        "cron_expression": Capability.NATIVE, "timezone": Capability.NATIVE,
        "catchup": Capability.NATIVE, "overlap=queue": Capability.NATIVE,
        "overlap=skip": Capability.SUNDIAL, "max_active_runs": Capability.NATIVE}
    defaults: ClassVar[dict[str, str]] = {"overlap=skip": "never happens: skip is set"}

    @classmethod
    def problems(cls, schedule: Schedule) -> list[Problem]:
        if schedule.overlap == "queue" and not schedule.catchup:
            return [Problem(("overlap=queue", "catchup"), "busy ticks are dropped",
                            fixes=({"catchup": True}, {"overlap": "allow"}),
                            yields="overlap", default_here="default here: newest only")]
        return []

    def submit(self, run: RunRequest) -> str:
        raise NotImplementedError

    def run_status(self, ref: str) -> RunState:
        raise NotImplementedError


def test_a_set_field_is_refused_in_the_language_of_the_call() -> None:
    with pytest.raises(UnsupportedScheduleError) as info:
        CronOnly.check_schedule(Schedule(cron_expression="0 * * * *", jitter=10))
    assert "jitter (no such feature on cron-only)" in info.value.headline
    assert "drop jitter" in info.value.fix
    assert 'schedule_mode="sundial"' in info.value.fix
    assert "--sundial-mode" in str(info.value.cli_fix)
    with pytest.raises(UnsupportedScheduleError) as info:
        CronOnly.check_schedule(Schedule(cron_expression="0 * * * *", overlap="queue"))
    assert "overlap=queue, catchup: busy ticks are dropped" in info.value.headline
    assert "set catchup=True or set overlap='allow'" in info.value.fix
    assert "pass --catchup or pass --overlap allow" in str(info.value.cli_fix)


def test_a_default_gives_way_to_the_platforms_nearest_behaviour() -> None:
    # overlap left at its default "queue": the platform's own behaviour is taken and named.
    taken = CronOnly.check_schedule(Schedule(cron_expression="0 * * * *"))
    assert taken == {"overlap": "default here: newest only"}
    # The same schedule read back from the store has every field set: the deployment keeps
    # which were defaulted, and passes them.
    stored = Schedule.from_json(Schedule(cron_expression="0 * * * *").to_json())
    with pytest.raises(UnsupportedScheduleError):
        CronOnly.check_schedule(stored)
    assert CronOnly.check_schedule(stored, frozenset({"overlap"})) == {
        "overlap": "default here: newest only"}


def test_unsupported_operations_say_what_to_do_instead(sqlite_env: Path) -> None:
    from sundial.errors import UnsupportedOperationError
    from sundial.store.store import Store

    backend = CronOnly(Store.from_settings())
    with pytest.raises(UnsupportedOperationError, match="cannot pause a schedule") as info:
        backend.pause_schedule("x")
    assert info.value.fix
    assert not CronOnly.native_schedules() or "create" not in CronOnly.unsupported_operations


def test_unknown_backend() -> None:
    with pytest.raises(NotFoundError, match="no orchestrator named 'nomad'") as info:
        orchestrator_class("nomad")
    assert "local" in info.value.fix and "airflow" in info.value.fix


def test_settings_come_from_options_then_environment_then_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sundial.orchestrators.airflow import AirflowSettings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUNDIAL_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "config.toml").write_text(
        '[orchestrators.airflow]\nnamespace = "from-home"\nparse_timeout = 5\n')
    (tmp_path / "sundial.toml").write_text('[orchestrators.airflow]\nnamespace = "project"\n')
    monkeypatch.delenv("SUNDIAL_AIRFLOW_NAMESPACE", raising=False)
    assert AirflowSettings.load("airflow").namespace == "project"
    assert AirflowSettings.load("airflow").parse_timeout == 5.0
    monkeypatch.setenv("SUNDIAL_AIRFLOW_NAMESPACE", "env")
    assert AirflowSettings.load("airflow").namespace == "env"
    assert AirflowSettings.load("airflow", {"namespace": "opt"}).namespace == "opt"
    with pytest.raises(ConfigError, match="no option 'dag_folder'") as info:
        AirflowSettings.load("airflow", {"dag_folder": "x"})
    assert "--dags-folder" in info.value.fix
    monkeypatch.setenv("SUNDIAL_AIRFLOW_PARSE_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match=r"parse_timeout.*\$SUNDIAL_AIRFLOW_PARSE_TIMEOUT"):
        AirflowSettings.load("airflow")


def test_core_settings_read_the_config_files(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from sundial.config import Settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUNDIAL_HOME", str(tmp_path))
    monkeypatch.delenv("SUNDIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("SUNDIAL_ARTIFACT_URI", raising=False)
    (tmp_path / "config.toml").write_text('artifact_uri = "memory://home"\n')
    assert Settings.from_env().artifact_uri == "memory://home"
    (tmp_path / "sundial.toml").write_text('artifact_uri = "memory://project"\n')
    assert Settings.from_env().artifact_uri == "memory://project"
    monkeypatch.setenv("SUNDIAL_ARTIFACT_URI", "memory://env")
    assert Settings.from_env().artifact_uri == "memory://env"


def test_config_show_masks_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from sundial.cli.app import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUNDIAL_HOME", str(tmp_path))
    monkeypatch.setenv("SUNDIAL_DATABASE_URL", "postgresql://me:hunter2@db/sundial")
    result = CliRunner().invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert "postgresql+psycopg://me:***@db/sundial" in result.output
    assert '"source": "$SUNDIAL_DATABASE_URL"' in result.output


def test_docs_page_is_generated_from_the_declarations() -> None:
    assert DOCS.read_text() == markdown(), (
        "docs/orchestrators.md is stale: run "
        "`.venv/bin/python -m sundial.orchestrators.matrix > docs/orchestrators.md`")


def test_a_run_made_by_the_platforms_scheduler_is_a_tick_of_its_schedule(
        sqlite_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `sundial step run --schedule-id ID --nominal T --external-id REF` records for a run
    Airflow's (or any platform's) own scheduler made; the DAG file passes exactly these."""
    from datetime import UTC, datetime

    from sundial.dispatch import register
    from sundial.engine.loader import load_pipeline
    from sundial.engine.step_runner import ensure_run
    from sundial.scheduler.api import Schedules
    from sundial.store.store import Store

    monkeypatch.setenv("SUNDIAL_AIRFLOW_DAGS_FOLDER", str(tmp_path / "dags"))
    (tmp_path / "native_tick_flow.py").write_text(
        "from sundial import pipeline, step\n\n@step\ndef load() -> int:\n    return 2\n\n"
        "@step\ndef train(x: int, lr: float = 0.1) -> float:\n    return x * lr\n\n"
        "@pipeline\ndef training(lr: float = 0.1):\n    train(load(), lr=lr)\n")
    flow = load_pipeline(f"{tmp_path / 'native_tick_flow.py'}:training")
    store = Store.from_settings()
    info = register(flow, {"lr": 0.5}, Schedule(name="nightly", cron_expression="0 6 * * *",
                                                timezone="UTC", catchup=True),
                    orchestrator="airflow", store=store).info
    nominal = datetime(2026, 12, 1, 6, tzinfo=UTC)
    made = [ensure_run(store, version_id=info.record.version_id, params={"lr": 0.5},
                       external_id="airflow:nightly:scheduled__2026-12-01T06:00:00+00:00",
                       orchestrator="airflow", nominal_at=nominal, schedule_id=info.id)
            for _task in ("load", "train")]  # every task of the DAG run asks; one run
    assert made[0] == made[1]
    run = store.get_run(made[0])
    assert (run.schedule_id, run.nominal_at, run.trigger) == (info.id, nominal, "native")
    described = Schedules(store).describe("nightly")
    assert described["runs_by_trigger"] == {"native": 1}
    assert described["last_runs"][0]["id"] == run.id
    assert described["mode"] == "native" and described["native_ref"] == "nightly"
