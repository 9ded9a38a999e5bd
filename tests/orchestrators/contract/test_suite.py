"""The behaviour every orchestrator backend must have, run on every registered backend.

One suite, parametrised by the harnesses in ``backends/`` (see ``harness.py``): run now and its
tracking, a failing run and its skipped steps, sundial mode (a tick's run submitted through the
backend and followed to its end), the native schedule lifecycle, and refusals in the language
of the call. What a harness cannot show (a double instead of the platform) its module says.
"""

from __future__ import annotations

import importlib
import pkgutil
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contract import backends
from contract.harness import Harness, write_flow
from sundial import Schedule
from sundial.dispatch import follow, register, run_now
from sundial.engine.loader import load_pipeline
from sundial.errors import (
    ConfigError,
    RunFailedError,
    UnsupportedOperationError,
    UnsupportedScheduleError,
)
from sundial.orchestrators.base import SCHEDULE_OPERATIONS, Capability, Orchestrator
from sundial.orchestrators.registry import BACKENDS
from sundial.scheduler.api import Schedules
from sundial.scheduler.clock import SimulatedClock
from sundial.scheduler.service import SchedulerService
from sundial.store.store import Store

HARNESSES: dict[str, type[Harness]] = {}
for found in pkgutil.iter_modules(backends.__path__):
    module = importlib.import_module(f"contract.backends.{found.name}")
    HARNESSES[module.HARNESS.name] = module.HARNESS


#: Backends registered before the suite existed whose harness their own issue adds; take a
#: name out when its ``backends/<name>.py`` lands.
PENDING: set[str] = set()


def test_every_registered_backend_has_a_harness() -> None:
    missing = sorted(set(BACKENDS) - set(HARNESSES) - PENDING)
    assert not missing, (f"backends without a harness in tests/orchestrators/contract/backends/: "
                         f"{missing}; add one file each (see harness.py)")
    assert not PENDING & set(HARNESSES), "take the backends that have a harness out of PENDING"


@dataclass
class Env:
    harness: Harness
    store: Store
    backend: Orchestrator
    flow: Any


@pytest.fixture(scope="module", params=sorted(HARNESSES))
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[Env]:
    name = str(request.param)
    tmp = tmp_path_factory.mktemp(f"contract-{name}")
    harness = HARNESSES[name](tmp)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("SUNDIAL_HOME", str(tmp / "home"))
        monkeypatch.delenv("SUNDIAL_DATABASE_URL", raising=False)
        monkeypatch.delenv("SUNDIAL_ARTIFACT_URI", raising=False)
        monkeypatch.setenv("SUNDIAL_POLL_SECONDS", "1")
        monkeypatch.chdir(tmp)  # no sundial.toml of the developer's
        with harness.running(monkeypatch):
            store = Store.from_settings()
            flow = load_pipeline(f"{write_flow(tmp)}:contract_flow")
            yield Env(harness, store, harness.backend(store), flow)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _ended(env: Env, run_id: str) -> Any:
    """The run once it ended (a remote platform is waited for)."""
    record = env.store.get_run(run_id)
    if not env.harness.synchronous:
        assert record.external_id, "submit's reference was not kept with the run"
        state = env.harness.finish(env.backend, record.external_id)
        assert state.finished, f"run {run_id} did not end on {env.harness.name}: {state}"
        follow(run_id, store=env.store, poll=0.2)  # what the platform said is recorded
        record = env.store.get_run(run_id)
    return record


# -- runs ---------------------------------------------------------------------------------------

def test_run_now_is_recorded_and_followed(env: Env) -> None:
    run = run_now(env.flow, {"n": 4}, orchestrator=env.harness.name,
                  options=env.harness.options(), store=env.store)
    record = _ended(env, run.id)
    assert (record.status, record.orchestrator, record.trigger) == (
        "completed", env.harness.name, "manual")
    assert {n: s.status for n, s in record.steps.items()} == {
        "load": "completed", "double": "completed", "report": "completed"}
    if record.external_id:
        assert env.backend.run_status(record.external_id).status == "completed"


def test_a_failing_run_is_failed_with_its_reason_and_skipped_steps(env: Env) -> None:
    try:
        run = run_now(env.flow, {"n": 4, "fail": True}, orchestrator=env.harness.name,
                      options=env.harness.options(), store=env.store)
        run_id = run.id
    except RunFailedError as err:  # a run that ended in submit says so at once
        assert env.harness.synchronous
        run_id = err.run_id
    record = _ended(env, run_id)
    assert record.status == "failed"
    assert record.steps["double"].status == "failed"
    assert "double failed on purpose" in str(record.steps["double"].error)
    assert record.steps["report"].status == "skipped"
    if record.external_id:
        state = env.backend.run_status(record.external_id)
        assert state.status == "failed" and state.reason


def test_sundial_mode_submits_each_tick_and_follows_it(env: Env) -> None:
    """A tick fired by sundial's scheduler is submitted through the backend's ``submit`` by the
    scheduler's worker (here run in this process), with the tick's identity."""
    from sundial.scheduler.worker import run_worker

    now = datetime.now(UTC)
    schedule = Schedule(name=_unique("sundial-mode"), interval_second=60,
                        start_time=now - timedelta(seconds=90), timezone="UTC")
    made = register(env.flow, {"n": 2}, schedule, orchestrator=env.harness.name,
                    mode="sundial", options=env.harness.options(), store=env.store)
    assert made.info.record.mode == "sundial"
    started: list[str] = []

    class Recorder:
        def start(self, run_id: str) -> None:
            started.append(run_id)

    SchedulerService(env.store, clock=SimulatedClock(now), executor=Recorder()).step()
    assert len(started) == 1
    previous = signal.getsignal(signal.SIGTERM)
    try:
        code = run_worker(started[0])
    finally:
        signal.signal(signal.SIGTERM, previous)
    record = env.store.get_run(started[0])
    assert (code, record.status) == (0, "completed"), record.error
    assert record.schedule_id == made.info.id and record.orchestrator == env.harness.name
    assert record.nominal_at == schedule.start_time + timedelta(seconds=60)
    assert bool(record.external_id) is not env.harness.synchronous
    Schedules(env.store).delete(made.info.name)


# -- native schedules ---------------------------------------------------------------------------

def test_native_schedule_lifecycle(env: Env) -> None:
    if not env.backend.native_schedules():
        pytest.skip(f"{env.harness.name} has no scheduler of its own (sundial mode only)")
    schedules = Schedules(env.store)
    name = _unique("native")
    # model_copy keeps the fields the harness left at their defaults as defaults.
    native = env.harness.native_schedule().model_copy(update={"name": name})
    made = register(env.flow, {"n": 2}, native,
                    orchestrator=env.harness.name, options=env.harness.options(),
                    store=env.store)
    ref = str(made.info.record.native_ref)
    assert made.info.record.mode == "native"
    env.harness.sync(env.backend)
    seen = env.backend.describe_schedule(ref)
    assert seen.exists and seen.paused is False
    assert schedules.describe(name)["platform"]["exists"] is True

    schedules.pause(name)
    assert env.backend.describe_schedule(ref).paused is True
    schedules.resume(name)
    assert env.backend.describe_schedule(ref).paused is False
    schedules.update(name, cron_expression="0 7 * * *")
    assert schedules.get(name).schedule.cron_expression == "0 7 * * *"

    run_id = schedules.trigger(name)
    triggered = _ended(env, run_id)
    assert (triggered.status, triggered.schedule_id, triggered.trigger) == (
        "completed", made.info.id, "manual")

    end = datetime.now(UTC) - timedelta(days=1)
    start = end - timedelta(days=2)  # two or three daily ticks
    result = schedules.backfill(name, start, end)
    assert result.created == result.ticks >= 2
    assert schedules.backfill(name, start, end).created == 0  # exactly once
    backfilled = [r for r in env.store.list_runs(limit=50)
                  if r.schedule_id == made.info.id and r.trigger == "backfill"]
    # Each handed to the platform with its nominal time, which it keeps as its logical date.
    assert len(backfilled) == result.ticks and all(r.external_id for r in backfilled)

    schedules.delete(name)
    assert env.backend.describe_schedule(ref).exists is False
    assert schedules.get(name).state == "deleted"


# -- refusals -----------------------------------------------------------------------------------

#: A schedule that sets each feature (on top of a plain daily cron).
SETS: dict[str, dict[str, Any]] = {
    "interval_second": {"cron_expression": None, "interval_second": 3600,
                        "start_time": datetime(2026, 1, 1, tzinfo=UTC)},
    "run_once_start_time": {"cron_expression": None,
                            "run_once_start_time": datetime(2030, 1, 1, tzinfo=UTC)},
    "start_time": {"start_time": datetime(2030, 1, 1, tzinfo=UTC)},
    "end_time": {"end_time": datetime(2031, 1, 1, tzinfo=UTC)},
    "catchup": {"catchup": False},
    "overlap=queue": {"overlap": "queue"},
    "overlap=skip": {"overlap": "skip"},
    "overlap=replace": {"overlap": "replace"},
    "overlap=allow": {"overlap": "allow"},
    "max_active_runs": {"max_active_runs": 2, "overlap": "allow"},
    "catchup_window": {"catchup": True, "catchup_window": 3600},
    "jitter": {"jitter": 30},
    "max_runs": {"max_runs": 3},
    "cron_expression": {},
    "timezone": {"timezone": "UTC"},
}


def test_what_cannot_be_native_is_refused_in_the_language_of_the_call(env: Env) -> None:
    cls = type(env.backend)
    if not cls.native_schedules():
        with pytest.raises(UnsupportedOperationError) as info:
            register(env.flow, {}, Schedule(cron_expression="0 6 * * *"),
                     orchestrator=env.harness.name, mode="native",
                     options=env.harness.options(), store=env.store)
        assert "--native" in str(info.value.cli_fix)
        return
    for feature, capability in cls.capabilities.items():
        if capability is Capability.NATIVE:
            continue
        name = _unique("refused")
        fields = {"name": name, "cron_expression": "0 6 * * *", **SETS[feature]}
        with pytest.raises(UnsupportedScheduleError) as info:
            register(env.flow, {}, Schedule(**fields), orchestrator=env.harness.name,
                     options=env.harness.options(), store=env.store)
        assert feature in info.value.headline, feature
        assert 'schedule_mode="sundial"' in info.value.fix
        assert "--sundial-mode" in str(info.value.cli_fix)
        # Nothing half-made: no record, nothing on the platform.
        assert all(s.name != name for s in Schedules(env.store).list(include_deleted=True))


def test_unsupported_operations_say_what_to_do_instead(env: Env) -> None:
    for op, how in type(env.backend).unsupported_operations.items():
        assert op in SCHEDULE_OPERATIONS and how.strip()
        if op in ("pause", "resume", "delete", "describe"):
            with pytest.raises(UnsupportedOperationError) as info:
                getattr(env.backend, f"{op}_schedule")("some-ref")
            assert info.value.fix == how


def test_an_unknown_option_lists_the_known_ones(env: Env) -> None:
    from sundial.orchestrators.registry import get_orchestrator

    with pytest.raises(ConfigError, match="has no option 'no_such_option'"):
        get_orchestrator(env.harness.name, env.store, {"no_such_option": "x"})


def test_the_harness_module_is_where_it_should_be() -> None:
    folder = Path(backends.__file__).parent
    assert {p.stem for p in folder.glob("*.py")} - {"__init__"} == set(HARNESSES)
