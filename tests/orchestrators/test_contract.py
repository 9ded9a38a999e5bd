"""The orchestrator contract: declarations, refusals, the registry and the generated docs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sundial import Schedule
from sundial.errors import NotFoundError, UnsupportedScheduleError
from sundial.orchestrators.base import SCHEDULE_FEATURES, Capability, features_used
from sundial.orchestrators.matrix import markdown
from sundial.orchestrators.registry import BACKENDS, orchestrator_class

DOCS = Path(__file__).parents[2] / "docs" / "orchestrators.md"


@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_backend_declares_every_feature(name: str) -> None:
    cls = orchestrator_class(name)
    assert cls.name == name
    assert set(cls.capabilities) == set(SCHEDULE_FEATURES)
    assert all(isinstance(c, Capability) for c in cls.capabilities.values())


def test_features_used() -> None:
    cron = Schedule(cron_expression="5 14 * * 3", timezone="Europe/Berlin")
    assert features_used(cron) == ["cron_expression", "timezone", "catchup", "overlap=queue",
                                   "max_active_runs"]
    every = Schedule(interval_second=60, jitter=5, max_runs=3,
                     catchup_window=timedelta(hours=1), overlap="skip")
    assert features_used(every) == [
        "interval_second", "start_time", "catchup", "overlap=skip", "max_active_runs",
        "catchup_window", "jitter", "max_runs"]


def test_refusal_lists_every_unsupported_feature() -> None:
    from sundial.orchestrators.base import Orchestrator

    class CronOnly(Orchestrator):
        name = "cron-only"
        description = "test backend"
        capabilities = {f: Capability.REFUSED for f in SCHEDULE_FEATURES} | {
            "cron_expression": Capability.NATIVE, "timezone": Capability.NATIVE,
            "catchup": Capability.NATIVE, "overlap=queue": Capability.NATIVE,
            "max_active_runs": Capability.SUNDIAL}

        def submit(self, pipeline, params):  # type: ignore[no-untyped-def]
            raise NotImplementedError

        create_schedule = update_schedule = pause_schedule = resume_schedule = submit
        delete_schedule = submit

    assert CronOnly.unsupported(Schedule(cron_expression="0 * * * *")) == ["max_active_runs"]
    with pytest.raises(UnsupportedScheduleError) as info:
        CronOnly.check_schedule(Schedule(cron_expression="0 * * * *", jitter=10))
    assert "max_active_runs, jitter" in info.value.headline
    assert "sundial mode" in info.value.fix


def test_unknown_backend() -> None:
    with pytest.raises(NotFoundError, match="no orchestrator named 'nomad'"):
        orchestrator_class("nomad")


def test_docs_page_is_generated_from_the_declarations() -> None:
    assert DOCS.read_text() == markdown(), (
        "docs/orchestrators.md is stale: run "
        "`.venv/bin/python -m sundial.orchestrators.matrix > docs/orchestrators.md`")
