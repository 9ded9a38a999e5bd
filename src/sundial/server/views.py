"""Store records shaped for the API and the pages: schedule rows with their last run, a run with
logs and artifact previews, and the calendar of a schedule's next fire times."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sundial.definition.schedule import Schedule
from sundial.scheduler.api import ScheduleInfo
from sundial.store.dashboard import DashboardQueries
from sundial.store.records import ArtifactRecord, RunRecord
from sundial.store.schedule_record import ScheduleRecord

# Artifacts at most this big, written as JSON, are shown inline. Nothing else is read: a pickle
# would run code inside the server, and big files would make pages slow.
PREVIEW_BYTES = 4096
MAX_PREVIEWS = 50
# A step's logs and traceback are shown up to this many characters, the end kept (where the
# error is): a step that prints megabytes must not make its run page megabytes.
MAX_LOG_CHARS = 100_000


@functools.lru_cache(maxsize=4096)
def parse_definition(definition: str) -> Schedule:
    """A stored definition parsed once per process (pages list the same ones again and again)."""
    return Schedule.from_json(definition)


def schedule_rows(queries: DashboardQueries,
                  records: Sequence[ScheduleRecord]) -> list[dict[str, Any]]:
    """One dict per schedule: ``summary`` (the CLI's ``schedule list --json`` entry), the parsed
    ``schedule`` and its ``last_run`` (or None)."""
    last = queries.last_runs([r.id for r in records])
    rows = []
    for rec in records:
        schedule = parse_definition(rec.definition)
        rows.append({"summary": ScheduleInfo(rec, schedule).summary(), "record": rec,
                     "schedule": schedule, "last_run": last.get(rec.id)})
    return rows


def preview(artifact: ArtifactRecord) -> str | None:
    """The text of a small JSON artifact, or None when it is not shown inline."""
    if artifact.materializer != "json" or artifact.size > PREVIEW_BYTES:
        return None
    from fsspec.core import url_to_fs

    try:
        fs, path = url_to_fs(artifact.uri)
        data = fs.cat_file(path)
    except (OSError, ValueError):
        return None
    if len(data) > PREVIEW_BYTES or hashlib.sha256(data).hexdigest() != artifact.content_hash:
        return None
    try:
        return json.dumps(json.loads(data), indent=1)[:PREVIEW_BYTES]
    except ValueError:
        return None


def run_view(run: RunRecord) -> dict[str, Any]:
    """``sundial runs show --json`` plus, per step, its logs and traceback and, per output,
    ``preview`` (see :func:`preview`)."""
    data = run.shown(datetime.now(UTC))
    shown = 0
    for out, step in zip(data["steps"], run.steps.values(), strict=True):
        out["logs"] = _tail(step.logs, run.id)
        out["traceback"] = _tail(step.traceback, run.id)
        for name, art in step.outputs.items():
            text = preview(art) if shown < MAX_PREVIEWS else None
            shown += text is not None
            out["outputs"][name]["preview"] = text
    return data


def _tail(text: str | None, run_id: str) -> str | None:
    if text is None or len(text) <= MAX_LOG_CHARS:
        return text
    return (f"[{len(text) - MAX_LOG_CHARS:,} earlier characters left out: "
            f"`sundial runs logs {run_id[:8]}` prints everything]\n" + text[-MAX_LOG_CHARS:])


@dataclass(frozen=True)
class Day:
    day: date
    times: list[datetime]  # in the schedule's zone
    in_range: bool  # False for padding days before the first / after the last fire


def calendar(fire_times: Sequence[datetime], max_days: int = 35) -> list[list[Day]]:
    """Weeks (Monday first) from the first fire time's week to the last's, at most
    ``max_days`` days, each day with its fire times (already in the schedule's zone)."""
    if not fire_times:
        return []
    first = fire_times[0].date()
    last = min(fire_times[-1].date(), first + timedelta(days=max_days - 1))
    by_day: dict[date, list[datetime]] = {}
    for t in fire_times:
        by_day.setdefault(t.date(), []).append(t)
    start = first - timedelta(days=first.weekday())
    weeks: list[list[Day]] = []
    day = start
    while day <= last or day.weekday() != 0:
        if day.weekday() == 0:
            weeks.append([])
        weeks[-1].append(Day(day, by_day.get(day, []), first <= day <= last))
        day += timedelta(days=1)
    return weeks
