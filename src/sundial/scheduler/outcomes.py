"""How a run ended, in one line: what the scheduler logs and what alerts carry.

Pure: it reads a :class:`RunRecord` and returns values, so the log line, the JSON log record,
the webhook payload and the e-mail all say the same thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sundial.store.records import COMPLETED, FAILED, RunRecord


@dataclass(frozen=True)
class RunOutcome:
    """The end of one run: status, duration and, for a failure, where and why."""

    run_id: str
    pipeline: str
    schedule: str | None
    nominal_at: str | None
    trigger: str | None
    status: str
    duration: float | None
    failed_step: str | None
    error: str | None

    @property
    def failed(self) -> bool:
        return self.status != COMPLETED

    def line(self) -> str:
        """``run 1a2b3c4d of schedule nightly (nominal …): failed in 0.81s at step 'total':
        RuntimeError: boom``; a manual run of a pipeline without a schedule names the
        pipeline instead."""
        who = f"schedule {self.schedule}" if self.schedule else f"pipeline {self.pipeline}"
        when = f" (nominal {self.nominal_at})" if self.nominal_at else ""
        took = f" in {self.duration:.2f}s" if self.duration is not None else ""
        text = f"run {self.run_id[:8]} of {who}{when}: {self.status}{took}"
        if self.failed_step:
            text += f" at step '{self.failed_step}'"
        if self.error and self.status != COMPLETED and self.error != self.status:
            text += f": {self.error}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"event": "run_end", **asdict(self)}


def last_line(text: str | None) -> str | None:
    """The last non-blank line of an error or traceback: what actually went wrong."""
    if not text:
        return None
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else None


def first_line(text: str | None) -> str | None:
    return text.strip().splitlines()[0] if text and text.strip() else None


def outcome_of(run: RunRecord, schedule: str | None) -> RunOutcome:
    """The outcome of a finished run; ``schedule`` is the name of the schedule that made it."""
    duration = None
    if run.ended_at is not None:
        duration = (run.ended_at - (run.started_at or run.created_at)).total_seconds()
    failed = next((s for s in run.steps.values() if s.status == FAILED), None)
    if failed is not None:
        # "Type: message" as recorded; a traceback's last line is only the end of a message
        # that spans several lines ("while writing ..." instead of "RuntimeError: disk full").
        error = first_line(failed.error) or last_line(failed.traceback)
    else:  # failed before any step ran (the pipeline could not load), or lost or cancelled:
        # the run's own error, whose first line is its headline
        error = first_line(run.error)
    return RunOutcome(
        run_id=run.id, pipeline=run.pipeline, schedule=schedule,
        nominal_at=run.nominal_at.isoformat() if run.nominal_at else None,
        trigger=run.trigger, status=run.status, duration=duration,
        failed_step=failed.name if failed is not None else None,
        error=error if run.status != COMPLETED else None)


def step_lines(run: RunRecord) -> list[str]:
    """One line per step, for ``sundial scheduler -v``."""
    lines = []
    for s in run.steps.values():
        took = f" in {s.duration:.2f}s" if s.duration is not None else ""
        why = f": {first_line(s.error) or last_line(s.traceback)}" if s.status == FAILED else ""
        lines.append(f"run {run.id[:8]} step {s.name}: {s.status}{took}{why}")
    return lines
