"""Geometry of the two charts, as plain values (pure: no clock, no store): the runs timeline
(one lane per schedule, or per pipeline for runs made by hand) and a run's Gantt chart of steps.

Positions are percentages of the chart's width, so the page draws them with SVG or CSS alone
and no script has to measure anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sundial.store.records import FAILED, QUEUED, RunRecord, StepRunRecord

# A run that started this long after its tick's nominal time is drawn as late.
LATE_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class Bar:
    id: str
    label: str
    status: str
    left: float  # percent of the width
    width: float  # percent of the width, at least a sliver so it stays visible
    start: datetime | None
    end: datetime | None
    late: bool = False
    overlapped: bool = False

    @property
    def failed(self) -> bool:
        return self.status == FAILED


@dataclass(frozen=True)
class Lane:
    name: str
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    lanes: list[Lane]
    start: datetime | None
    end: datetime | None

    @property
    def empty(self) -> bool:
        return not self.lanes


def _span(start: datetime, end: datetime, lo: datetime, hi: datetime) -> tuple[float, float]:
    total = max((hi - lo).total_seconds(), 1e-6)
    left = (start - lo).total_seconds() / total * 100
    width = max((end - start).total_seconds() / total * 100, 0.4)
    left = min(max(left, 0.0), 100.0)
    return round(left, 3), round(min(width, 100.0 - left if left < 100 else 0.4), 3)


def is_late(run: RunRecord, now: datetime) -> bool:
    """Started (or, still queued, waiting) more than LATE_AFTER after its nominal time."""
    if run.nominal_at is None or run.trigger in ("backfill", "manual"):
        return False
    began = run.started_at or (now if run.status == QUEUED else None)
    return began is not None and began - run.nominal_at > LATE_AFTER


def timeline(runs: Sequence[RunRecord], schedule_names: Mapping[str, str],
             now: datetime) -> Chart:
    """Runs laid out over time, one lane per schedule (or pipeline, for unscheduled runs).
    A run overlaps when it started before an earlier run of its lane had ended."""
    spans = []
    for r in runs:
        start = r.started_at or r.nominal_at or r.created_at
        end = r.ended_at or (now if r.started_at else start)
        spans.append((r, start, max(end, start)))
    if not spans:
        return Chart([], None, None)
    lo = min(s for _, s, _ in spans)
    hi = max(max(e for _, _, e in spans), lo + timedelta(seconds=1))
    by_lane: dict[str, list[tuple[RunRecord, datetime, datetime]]] = {}
    for item in spans:
        r = item[0]
        lane = (f"schedule {schedule_names.get(r.schedule_id, r.schedule_id[:8])}"
                if r.schedule_id else f"pipeline {r.pipeline}")
        by_lane.setdefault(lane, []).append(item)
    lanes = []
    for name in sorted(by_lane):
        bars = []
        reach: datetime | None = None  # the latest end among earlier runs of the lane
        for r, start, end in sorted(by_lane[name], key=lambda x: (x[1], x[0].id)):
            overlapped = reach is not None and r.started_at is not None and start < reach
            reach = end if reach is None else max(reach, end)
            left, width = _span(start, end, lo, hi)
            bars.append(Bar(id=r.id, label=r.id[:8], status=r.status, left=left, width=width,
                            start=start, end=end, late=is_late(r, now),
                            overlapped=overlapped))
        lanes.append(Lane(name, bars))
    return Chart(lanes, lo, hi)


def gantt(run: RunRecord, now: datetime) -> Chart:
    """A run's steps over time, one lane per step in execution order. Steps that did no work
    (cached, skipped) are drawn as a sliver where they were decided."""
    steps: list[StepRunRecord] = sorted(run.steps.values(), key=lambda s: s.position)
    lo = run.started_at or min((s.started_at for s in steps if s.started_at),
                               default=run.created_at)
    ends = [s.ended_at or (now if s.started_at else None) for s in steps]
    hi = max([e for e in ends if e is not None] + [run.ended_at or lo],
             default=lo)
    hi = max(hi, lo + timedelta(milliseconds=1))
    lanes = []
    for s, end in zip(steps, ends, strict=True):
        start = s.started_at or lo
        left, width = _span(start, end or start, lo, hi)
        lanes.append(Lane(s.name, [Bar(id=str(s.id), label=s.name, status=s.status,
                                       left=left, width=width, start=s.started_at,
                                       end=s.ended_at)]))
    return Chart(lanes, lo, hi)
