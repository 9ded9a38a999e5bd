"""The run-end line names the exception, even when its message spans several lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sundial.scheduler.outcomes import outcome_of
from sundial.store.records import FAILED, RunRecord, StepRunRecord

T0 = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
TRACEBACK = ('Traceback (most recent call last):\n  File "flow.py", line 8, in train\n'
             '    raise RuntimeError("disk full\\nwhile writing /data/model.pt")\n'
             "RuntimeError: disk full\nwhile writing /data/model.pt\n")


def _failed_run(error: str | None, traceback: str | None) -> RunRecord:
    step = StepRunRecord(id=1, run_id="1a2b3c4d-0", name="train", step="train", position=0,
                         status=FAILED, cache_key=None, attempts=1, started_at=T0,
                         ended_at=T0 + timedelta(seconds=1), duration=1.0, error=error,
                         traceback=traceback, logs=None)
    return RunRecord(id="1a2b3c4d-0", pipeline="flow", version_hash="h", status=FAILED,
                     params={}, orchestrator="local", created_at=T0, started_at=T0,
                     ended_at=T0 + timedelta(seconds=1), error="a step failed",
                     steps={"train": step}, nominal_at=T0)


def test_a_multi_line_message_is_named_by_its_exception_and_first_line() -> None:
    outcome = outcome_of(_failed_run("RuntimeError: disk full\nwhile writing /data/model.pt",
                                     TRACEBACK), "nightly")
    assert outcome.line().endswith("failed in 1.00s at step 'train': RuntimeError: disk full")


def test_without_a_recorded_error_the_traceback_names_it() -> None:
    outcome = outcome_of(_failed_run(None, "Traceback ...\nValueError: bad\n"), "nightly")
    assert outcome.error == "ValueError: bad"
