"""The orchestrator contract, written once here; backends do not repeat it.

A backend runs pipelines somewhere (``submit``) and, for schedules, works in one of two modes:

- **native**: the Schedule is compiled into the platform's own scheduler (an Airflow DAG, a
  Kubernetes CronJob, a KFP recurring run ...) and ``pause``/``resume``/``update``/``delete``
  act on that object;
- **sundial mode**: sundial's own scheduler fires the ticks and submits single runs.

Every backend declares, for each schedule feature (:data:`SCHEDULE_FEATURES`), whether it honours
it natively, only in sundial mode, or not at all. A schedule that uses a feature the backend
cannot honour natively is refused by :meth:`Orchestrator.check_schedule` with the list of those
features and the hint to use sundial mode: nothing is dropped silently.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from sundial.errors import UnsupportedScheduleError

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline
    from sundial.definition.schedule import Schedule


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


@dataclass(frozen=True)
class Deployment:
    """What a native schedule is made of: the pipeline version, its parameters, the schedule,
    whether it starts paused, and backend-specific options."""

    pipeline: Pipeline
    params: dict[str, Any]
    schedule: Schedule
    version_id: int
    paused: bool = False
    options: dict[str, Any] = field(default_factory=dict)


class Orchestrator(ABC):
    """One backend. Subclasses set the class attributes and implement the operations.

    :cvar name: the registry name (``local``, ``airflow`` ...).
    :cvar extra: the pip extra that installs its SDK (``None`` when it needs none).
    :cvar capabilities: feature → :class:`Capability`, one entry per
        :data:`SCHEDULE_FEATURES` item; a missing entry counts as refused.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    extra: ClassVar[str | None] = None
    capabilities: ClassVar[Mapping[str, Capability]]

    # -- checking ---------------------------------------------------------------------------
    @classmethod
    def unsupported(cls, schedule: Schedule) -> list[str]:
        """The features this schedule uses that the backend does not honour natively."""
        return [f for f in features_used(schedule)
                if cls.capabilities.get(f, Capability.REFUSED) is not Capability.NATIVE]

    @classmethod
    def check_schedule(cls, schedule: Schedule) -> None:
        """:raises UnsupportedScheduleError: naming every feature it cannot honour natively."""
        missing = cls.unsupported(schedule)
        if missing:
            raise UnsupportedScheduleError(
                f"orchestrator '{cls.name}' cannot honour natively: {', '.join(missing)}",
                "drop or change those fields, or use sundial mode (let sundial's scheduler "
                "fire the ticks: register the schedule on the local orchestrator)")

    # -- runs -------------------------------------------------------------------------------
    @abstractmethod
    def submit(self, pipeline: Pipeline, params: dict[str, Any]) -> Any:
        """Run the pipeline once, now; returns the backend's handle of the run (for the local
        backend, the recorded run). Steps execute through ``sundial step run``, so the store
        records them exactly as a local run."""

    # -- native schedules ---------------------------------------------------------------------
    @abstractmethod
    def create_schedule(self, deployment: Deployment) -> str:
        """Compile and install the schedule natively (after :meth:`check_schedule`); returns
        the backend's reference to it (a DAG id, a CronJob name ...)."""

    @abstractmethod
    def update_schedule(self, ref: str, deployment: Deployment) -> None:
        """Replace the definition behind ``ref``; ticks already handled are not re-run."""

    @abstractmethod
    def pause_schedule(self, ref: str) -> None:
        """Stop new ticks from firing until resumed."""

    @abstractmethod
    def resume_schedule(self, ref: str) -> None:
        """Fire ticks again; what was missed follows the schedule's ``catchup``."""

    @abstractmethod
    def delete_schedule(self, ref: str) -> None:
        """Remove the schedule from the platform (its run history stays in sundial's store)."""
