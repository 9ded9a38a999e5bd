"""The values of native schedules, the ones a platform's own scheduler fires: what a deployment
is made of, what the platform shows of it, and the field combinations it would run differently.

The rules they serve are written on :class:`~sundial.orchestrators.base.Orchestrator`; these
classes are apart from it so that a local run, which never deploys, does not build them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sundial.definition.schedule import Schedule

__all__ = ["Deployment", "PlatformSchedule", "Problem"]


@dataclass(frozen=True)
class Problem:
    """A combination of schedule fields the platform would run differently from sundial.

    :param fields: the features involved (as in :data:`SCHEDULE_FEATURES`).
    :param reason: what the platform would do instead, in a sentence.
    :param fixes: alternatives, each a set of field values that avoids the problem; rendered
        as keyword arguments for Python and as flags for the CLI.
    :param advice: a fix that is no field change (e.g. how to rewrite a cron expression).
    :param yields: the Schedule field that gives way when the user left it at its default:
        the schedule is then deployed with the platform's behaviour, ``default_here``.
    """

    fields: tuple[str, ...]
    reason: str
    fixes: tuple[Mapping[str, Any], ...] = ()
    advice: str = ""
    yields: str | None = None
    default_here: str | None = None


@dataclass(frozen=True)
class Deployment:
    """What a native schedule is made of.

    :param name: the schedule's name in sundial (the backend derives a valid platform name;
        :meth:`Orchestrator.platform_name` says which).
    :param schedule_id: sundial's id of the schedule: runs the platform makes carry it.
    :param spec: the stored pipeline spec of the version (``steps``, each with ``id`` and
        ``upstream``).
    :param defaulted: the Schedule fields the user left at their defaults.
    :param options: per-deployment overrides of the backend's settings (already applied to
        ``Orchestrator.settings``; kept for the record).
    :param replace: overwrite what the platform holds under this name (``--replace``); without
        it, ``create_schedule`` refuses to overwrite another deployment.
    """

    name: str
    schedule_id: str
    pipeline: str
    version_id: int
    spec: Mapping[str, Any]
    params: Mapping[str, Any]
    schedule: Schedule
    enable_cache: bool | None = None
    paused: bool = False
    defaulted: frozenset[str] = frozenset()
    options: Mapping[str, Any] = field(default_factory=dict)
    replace: bool = False


@dataclass(frozen=True)
class PlatformSchedule:
    """A native schedule as the platform itself shows it (``describe``)."""

    ref: str
    exists: bool
    paused: bool | None = None
    next_run_at: datetime | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
