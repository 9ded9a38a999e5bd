"""The orchestrator contract, written once here; backends do not repeat it.

How to write a backend (one folder, ``orchestrators/<name>/``, plus one line in
``registry.BACKENDS`` and one harness file in ``tests/orchestrators/contract/``):

1. **Settings.** Subclass :class:`~sundial.orchestrators.settings.BackendSettings` (a frozen
   pydantic model): one typed field per setting, with a default and a ``description``. Each
   field is read, the first found winning, from a deploy option (``--option key=value`` or
   ``--key value`` on ``sundial deploy``), the environment (``SUNDIAL_<BACKEND>_<FIELD>``), the
   project's ``sundial.toml`` / ``$SUNDIAL_HOME/config.toml`` (table
   ``[orchestrators.<backend>]``), then the default. Secrets are ``pydantic.SecretStr`` fields:
   ``sundial config show`` masks them. So a backend adds a deploy option by adding a field;
   nobody edits ``cli/deploy.py``.
2. **Class attributes.** ``name``, ``description``, ``extra`` (the pip extra of its SDK; import
   the SDK lazily, inside methods), ``settings_class``, ``capabilities`` (every feature of
   :data:`SCHEDULE_FEATURES` → :class:`Capability`), ``defaults`` (feature → what the platform
   does instead when the user left that field at its default: printed at deploy, stored, shown
   by ``describe`` and the matrix), ``conditions`` (feature → the condition under which its
   ``native`` holds, for the matrix) and ``unsupported_operations`` (operation → how to do it
   instead, for every schedule operation the backend does not implement).
3. **Runs.** Implement :meth:`Orchestrator.submit` and :meth:`Orchestrator.run_status`
   (and :meth:`Orchestrator.cancel` when the platform can stop a run). The run is recorded in
   the store before ``submit`` is called; the platform runs each step with
   ``sundial step run --run-id RUN_ID STEP`` (see :meth:`RunRequest.step_argv`), so the store
   records steps exactly as for a local run. That is all sundial mode needs: the scheduler
   records each tick's run (exactly once per schedule and nominal time), calls ``submit`` and
   follows ``run_status`` until the run ends.
4. **Native schedules** (optional). Override the operations the platform has —
   ``create_schedule``, ``update_schedule``, ``pause_schedule``, ``resume_schedule``,
   ``delete_schedule``, ``trigger_schedule``, ``backfill_schedule``, ``describe_schedule`` —
   and list the others in ``unsupported_operations`` with the alternative. A backend without
   ``create_schedule`` gets every schedule in sundial mode. Override :meth:`problems` for
   combinations of fields the platform would run differently (each a :class:`Problem`).
   Runs the platform's scheduler makes must reach the store as first-class records: pass
   ``--schedule-id`` and ``--nominal`` (the platform's logical date) and an ``--external-id``
   (the platform's run reference) to ``sundial step run``.

5. **Deploy.** ``sundial deploy NAME TARGET [schedule flags] [--FIELD value]`` registers a
   schedule through :meth:`Orchestrator.create_schedule` (or in sundial mode); the settings
   fields are its options. A backend whose deploy does more (print manifests with
   ``--dry-run``, write a file into a checkout) adds ``cli_deploy(request)`` to a module
   ``deploy.py`` in its folder (see ``cli/deploy.py``); nothing else in ``cli/`` changes.
6. **The shared suite.** ``tests/orchestrators/contract/backends/NAME.py`` with ``HARNESS``
   (``contract/harness.py``): how the platform (real, or a loopback double) is started and how
   it runs a submitted run to its end. Every test of ``contract/test_suite.py`` then runs on it.

Everything a backend gets is given to it: the store (``self.store``) and its typed settings
(``self.settings``); it never opens another store or reads the environment itself.

The rules every backend follows:

- **Defaults are not demands.** A schedule field the user set is honoured exactly or refused
  (:class:`~sundial.errors.UnsupportedScheduleError`, listing the fields, the fix in the
  caller's language, and the sundial-mode alternative). A field left at its default takes the
  platform's nearest behaviour, described by ``defaults`` / :attr:`Problem.default_here`.
- **Nothing half-done.** A create that fails on the platform records nothing; an operation
  that fails on the platform leaves the store as it was, so a retry converges.
- **Idempotent where a retry can happen**: ``delete_schedule`` of something already gone and
  ``pause``/``resume`` of something already in that state succeed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from sundial.errors import UnsupportedOperationError, UnsupportedScheduleError
from sundial.frozen import Frozen
from sundial.orchestrators.setting_sources import gather
from sundial.orchestrators.wording import Language, render_changes, sundial_mode_hint

if TYPE_CHECKING:
    from sundial.definition.schedule import Schedule
    from sundial.orchestrators.native import Deployment, PlatformSchedule, Problem
    from sundial.orchestrators.settings import BackendSettings, SettingValue
    from sundial.store.store import Store

__all__ = [
    "SCHEDULE_FEATURES",
    "SCHEDULE_OPERATIONS",
    "Capability",
    "Orchestrator",
    "RunRequest",
    "RunState",
    "RunStatus",
    "features_used",
    "fields_left_default",
]


class Capability(StrEnum):
    NATIVE = "native"  # the platform's own scheduler does it
    SUNDIAL = "sundial"  # honoured only when sundial's scheduler fires the ticks
    REFUSED = "refused"  # cannot be honoured on this backend at all


#: Every field and policy of a Schedule whose meaning a backend must honour.
SCHEDULE_FEATURES: tuple[str, ...] = (
    "cron_expression", "interval_second", "run_once_start_time", "start_time", "end_time",
    "catchup", "timezone", "overlap=queue", "overlap=skip", "overlap=replace", "overlap=allow",
    "max_active_runs", "catchup_window", "jitter", "max_runs",
)

#: The operations on a native schedule; each is implemented or in ``unsupported_operations``.
SCHEDULE_OPERATIONS: tuple[str, ...] = (
    "create", "update", "pause", "resume", "delete", "trigger", "backfill", "describe",
)

#: How a run ends, or where it is on the way (the store's run statuses).
RunStatus = Literal["queued", "running", "completed", "failed", "cancelled"]


def feature_field(feature: str) -> str:
    """The Schedule field behind a feature (``overlap=queue`` → ``overlap``)."""
    return feature.split("=", 1)[0]


def features_used(schedule: Schedule) -> list[str]:
    """The features whose meaning this schedule depends on.

    Defaults count when they carry meaning (``catchup=False``, ``overlap="queue"`` and
    ``max_active_runs=1`` are behaviours a backend must reproduce); unset options do not.
    """
    used = {"cron": ["cron_expression", "timezone"], "interval": ["interval_second"],
            "once": ["run_once_start_time"]}[schedule.kind]
    if schedule.start_time is not None:
        used.append("start_time")
    if schedule.end_time is not None:
        used.append("end_time")
    used += ["catchup", f"overlap={schedule.overlap}", "max_active_runs"]
    if schedule.catchup_window is not None:
        used.append("catchup_window")
    if schedule.jitter.total_seconds() > 0:
        used.append("jitter")
    if schedule.max_runs is not None:
        used.append("max_runs")
    return used


def fields_left_default(schedule: Schedule) -> frozenset[str]:
    """The Schedule fields the user did not set (pydantic's ``model_fields_set``).

    A schedule read back from the store has every field set; its deployment keeps the list of
    defaulted fields (:attr:`Deployment.defaulted`) so that an update judges it the same way.
    """
    return frozenset(type(schedule).model_fields) - schedule.model_fields_set


class RunRequest(Frozen):
    """One run for the platform to start, already recorded in the store (status ``queued``).

    Its identity travels with it: the platform runs each step with :meth:`step_argv`, which
    names the recorded run, so the steps write into it wherever they execute.
    """

    run_id: str
    pipeline: str
    version_id: int
    params: Mapping[str, Any]  # as stored: JSON values
    enable_cache: bool | None
    schedule_id: str | None
    schedule_name: str | None
    nominal_at: datetime | None  # the tick (aware UTC); None for a run-now
    trigger: str  # manual | live | catchup | backfill
    #: ``(pipeline, traced graph)`` when the run was made in this very process (a run-now): a
    #: backend that executes in-process may use them rather than load and trace again.
    loaded: Any

    _uncompared = _unshown = frozenset({"loaded"})

    def __init__(self, run_id: str, pipeline: str, version_id: int, params: Mapping[str, Any],
                 enable_cache: bool | None = None, schedule_id: str | None = None,
                 schedule_name: str | None = None, nominal_at: datetime | None = None,
                 trigger: str = "manual", loaded: Any = None) -> None:
        self.__dict__.update(
            run_id=run_id, pipeline=pipeline, version_id=version_id, params=params,
            enable_cache=enable_cache, schedule_id=schedule_id, schedule_name=schedule_name,
            nominal_at=nominal_at, trigger=trigger, loaded=loaded)

    def step_argv(self, step: str) -> list[str]:
        """The arguments after ``sundial`` that run one step of this run."""
        return ["step", "run", "--run-id", self.run_id, step]


class RunState(Frozen):
    """A run as the platform sees it. ``reason`` says why it failed or was cancelled (a pod
    lost, a task killed ...), in the platform's words."""

    status: RunStatus
    reason: str | None

    def __init__(self, status: RunStatus, reason: str | None = None) -> None:
        self.__dict__.update(status=status, reason=reason)

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed", "cancelled")


class Orchestrator(ABC):
    """One backend. Subclasses set the class attributes and implement the operations.

    :cvar name: the registry name (``local``, ``airflow`` ...).
    :cvar extra: the pip extra that installs its SDK (``None`` when it needs none).
    :cvar settings_class: its typed settings; ``None`` for a backend that has none, which
        then refuses every option and configured setting (and never imports pydantic).
    :cvar capabilities: feature → :class:`Capability`, one entry per
        :data:`SCHEDULE_FEATURES` item; a missing entry counts as refused.
    :cvar defaults: feature → what the platform does when the field is left at its default
        and the platform cannot do sundial's default ("default here: ...").
    :cvar conditions: feature → the condition under which ``native`` holds.
    :cvar unsupported_operations: operation (:data:`SCHEDULE_OPERATIONS`) → how to do it
        instead; every operation not listed must be implemented.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    extra: ClassVar[str | None] = None
    settings_class: ClassVar[type[BackendSettings] | None] = None
    capabilities: ClassVar[Mapping[str, Capability]]
    defaults: ClassVar[Mapping[str, str]] = {}
    conditions: ClassVar[Mapping[str, str]] = {}
    unsupported_operations: ClassVar[Mapping[str, str]] = {}

    def __init__(self, store: Store, settings: BackendSettings | None = None) -> None:
        self.store = store
        self.settings = settings if settings is not None else self.load_settings()

    # -- its settings -------------------------------------------------------------------------
    @classmethod
    def load_settings(cls, options: Mapping[str, Any] | None = None) -> BackendSettings | None:
        """Its settings from ``options``, the environment, the config files and the defaults
        (``orchestrators/settings.py``); ``None`` for a backend without settings.

        :raises ConfigError: an unknown option or setting, or a value of the wrong type.
        """
        if cls.settings_class is None:
            gather(cls.name, (), options or {})
            return None
        return cls.settings_class.load(cls.name, options)

    @classmethod
    def setting_fields(cls) -> dict[str, str]:
        """Each setting's name → its description (the backend's deploy options)."""
        if cls.settings_class is None:
            return {}
        return {name: info.description or ""
                for name, info in cls.settings_class.model_fields.items()}

    @classmethod
    def show_settings(cls) -> list[SettingValue]:
        """Every setting with its value (secrets masked) and where it came from."""
        return [] if cls.settings_class is None else cls.settings_class.show(cls.name)

    # -- what the backend can do --------------------------------------------------------------
    @classmethod
    def operations(cls) -> dict[str, str]:
        """Operation → ``"native"``, or how to do it instead."""
        return {op: cls.unsupported_operations.get(op, "native") for op in SCHEDULE_OPERATIONS}

    @classmethod
    def native_schedules(cls) -> bool:
        """Whether schedules can live on the platform at all (else: sundial mode only)."""
        return "create" not in cls.unsupported_operations

    @classmethod
    def problems(cls, schedule: Schedule) -> list[Problem]:
        """Combinations of fields the platform would run differently (none by default)."""
        return []

    @classmethod
    def assess(cls, schedule: Schedule, defaulted: frozenset[str] | None = None,
               ) -> tuple[list[str], list[Problem], dict[str, str]]:
        """What deploying ``schedule`` natively means: the set features that cannot be
        honoured, the combinations that cannot, and for fields left at their default, what
        the platform does instead (feature or field → "default here: ...")."""
        defaulted = fields_left_default(schedule) if defaulted is None else defaulted
        refused: list[str] = []
        instead: dict[str, str] = {}
        for feature in features_used(schedule):
            if cls.capabilities.get(feature, Capability.REFUSED) is Capability.NATIVE:
                continue
            if feature_field(feature) in defaulted and feature in cls.defaults:
                instead[feature] = cls.defaults[feature]
            else:
                refused.append(feature)
        blocking: list[Problem] = []
        for problem in cls.problems(schedule):
            if problem.yields is not None and problem.yields in defaulted \
                    and problem.default_here is not None:
                instead[problem.yields] = problem.default_here
            else:
                blocking.append(problem)
        return refused, blocking, instead

    @classmethod
    def check_schedule(cls, schedule: Schedule, defaulted: frozenset[str] | None = None, *,
                       language: Language = "python") -> dict[str, str]:
        """Refuse what the platform cannot honour natively; return the "default here"
        behaviours taken for fields left at their default.

        :raises UnsupportedScheduleError: naming every set feature and combination the
            platform cannot honour, with fixes in the caller's language (``python``: keyword
            arguments; ``cli``: flags) and the sundial-mode alternative.
        """
        refused, blocking, instead = cls.assess(schedule, defaulted)
        if not refused and not blocking:
            return instead
        reasons = [f"{', '.join(refused)} (no such feature on {cls.name})"] if refused else []
        reasons += [f"{', '.join(p.fields)}: {p.reason}" for p in blocking]

        def fix(lang: Language) -> str:
            parts = [f"drop {', '.join(refused)}"] if refused else []
            for p in blocking:
                words = [render_changes(c, lang) for c in p.fixes] + [p.advice] * bool(p.advice)
                if words:
                    parts.append(" or ".join(words))
            parts.append(sundial_mode_hint(lang))
            return "; ".join(parts)

        raise UnsupportedScheduleError(
            f"orchestrator '{cls.name}' cannot honour natively: {'; '.join(reasons)}",
            fix(language), cli_fix=fix("cli"))

    def _unsupported(self, operation: str) -> UnsupportedOperationError:
        return UnsupportedOperationError(
            f"orchestrator '{self.name}' cannot {operation} a schedule on the platform",
            self.unsupported_operations.get(operation, "use sundial mode for this schedule"))

    def platform_name(self, name: str) -> str:
        """The name a schedule called ``name`` gets on the platform (made valid there);
        deploy says when it differs."""
        return name

    # -- runs -------------------------------------------------------------------------------
    @abstractmethod
    def submit(self, run: RunRequest) -> str:
        """Start the recorded run ``run`` on the platform; return the platform's reference
        to it (stored as the run's ``external_id``; ``run_status`` takes it back). It may
        return before the run ends. A platform that refuses the run raises
        :class:`~sundial.errors.OrchestratorError` naming the endpoint and the setting."""

    @abstractmethod
    def run_status(self, ref: str) -> RunState:
        """The run's state on the platform, so that a lost pod or a killed task is noticed
        and the run failed with the platform's reason."""

    def cancel(self, ref: str) -> None:
        """Stop a run on the platform (``overlap="replace"``, a deleted schedule)."""
        raise UnsupportedOperationError(
            f"orchestrator '{self.name}' cannot cancel a run on the platform",
            "stop it with the platform's own tools")

    # -- native schedules ---------------------------------------------------------------------
    def create_schedule(self, deployment: Deployment) -> str:
        """Install the schedule on the platform (after :meth:`check_schedule`); return the
        platform's reference to it. On failure nothing stays installed."""
        raise self._unsupported("create")

    def update_schedule(self, ref: str, deployment: Deployment) -> None:
        """Replace the definition behind ``ref``; ticks already handled are not re-run."""
        raise self._unsupported("update")

    def pause_schedule(self, ref: str) -> None:
        """Stop new ticks from firing until resumed (idempotent)."""
        raise self._unsupported("pause")

    def resume_schedule(self, ref: str) -> None:
        """Fire ticks again; what was missed follows the schedule's ``catchup``."""
        raise self._unsupported("resume")

    def delete_schedule(self, ref: str) -> None:
        """Remove the schedule from the platform (idempotent); its run history stays."""
        raise self._unsupported("delete")

    def trigger_schedule(self, ref: str, run: RunRequest) -> str:
        """Run the schedule's pipeline now on the platform, as the recorded run ``run`` (its
        nominal time is now); return the platform's run reference."""
        raise self._unsupported("trigger")

    def backfill_schedule(self, ref: str, runs: Sequence[RunRequest]) -> list[str]:
        """Run the recorded runs of past ticks (each with its nominal time, which the
        platform takes as its logical date); return their references. The store made them
        exactly once; by default each is a :meth:`trigger_schedule`."""
        if "backfill" in self.unsupported_operations:
            raise self._unsupported("backfill")
        return [self.trigger_schedule(ref, run) for run in runs]

    def describe_schedule(self, ref: str) -> PlatformSchedule:
        """The platform's own view of the schedule: whether it exists, is paused, and when
        it next runs."""
        raise self._unsupported("describe")

