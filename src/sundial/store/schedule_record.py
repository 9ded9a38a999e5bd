"""A registered schedule as read out of the store (apart from :mod:`sundial.store.records`, so
that a local run and ``sundial step run``, which never read one, do not build its class)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["ScheduleRecord"]


@dataclass(frozen=True)
class ScheduleRecord:
    """A registered schedule as stored; ``definition`` is the Schedule's versioned JSON."""

    id: str
    name: str
    pipeline: str
    pipeline_id: int
    version_id: int
    params: dict[str, Any]
    enable_cache: bool | None
    orchestrator: str
    definition: str
    state: str
    pause_note: str | None
    paused_at: datetime | None
    resumed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    last_nominal_at: datetime | None
    next_fire_at: datetime | None
    fired_count: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    native_ref: str | None = None
    deployment: dict[str, Any] | None = None

    @property
    def mode(self) -> str:
        """``native`` (the platform's scheduler fires it) or ``sundial`` (sundial's does)."""
        return "native" if self.native_ref is not None else "sundial"

    @property
    def default_here(self) -> dict[str, str]:
        """For fields left at their default: what the platform does instead."""
        return dict((self.deployment or {}).get("default_here") or {})

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "pipeline": self.pipeline, "state": self.state,
            "orchestrator": self.orchestrator, "mode": self.mode,
            "native_ref": self.native_ref, "default_here": self.default_here,
            "params": self.params,
            "pause_note": self.pause_note,
            "created_at": self.created_at.isoformat(),
            "last_nominal_at": self.last_nominal_at.isoformat() if self.last_nominal_at
            else None,
            "next_fire_at": self.next_fire_at.isoformat() if self.next_fire_at else None,
            "fired_count": self.fired_count,
        }
