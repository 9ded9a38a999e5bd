"""What the pages draw and show, as plain values: the runs timeline, the Gantt chart, the fire-time
calendar, and the cut of long logs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sundial.server.charts import gantt, timeline
from sundial.server.views import calendar
from sundial.store.records import RunRecord, StepRunRecord

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def run(i: str, start: float, end: float | None, *, status: str = "completed",
        schedule: str | None = "s1", nominal: float | None = None,
        trigger: str | None = "live") -> RunRecord:
    return RunRecord(
        id=i * 8, pipeline="p", version_hash="h", status=status, params={}, orchestrator="local",
        created_at=T0 + timedelta(seconds=start), started_at=T0 + timedelta(seconds=start),
        ended_at=None if end is None else T0 + timedelta(seconds=end), error=None,
        schedule_id=schedule, trigger=trigger if schedule else None,
        nominal_at=None if schedule is None else T0 + timedelta(seconds=(
            start if nominal is None else nominal)))


def test_timeline_lanes_late_overlap_and_failed() -> None:
    now = T0 + timedelta(seconds=400)
    chart = timeline([run("a", 0, 100), run("b", 50, 150, status="failed"),
                      run("c", 300, None, status="running", nominal=200),
                      run("d", 10, 20, schedule=None)], {"s1": "nightly"}, now)
    assert [lane.name for lane in chart.lanes] == ["pipeline p", "schedule nightly"]
    bars = {b.id[0]: b for b in chart.lanes[1].bars}
    assert (bars["a"].left, bars["a"].width) == (0.0, 25.0)
    assert bars["b"].overlapped and bars["b"].failed and not bars["a"].overlapped
    assert bars["c"].late and not bars["a"].late  # started 100 s after its tick
    assert bars["c"].left == 75.0 and bars["c"].width == 25.0  # running: drawn up to now
    assert not bars["c"].overlapped
    # Manual and back-filled runs are never late: their nominal time is not a promise.
    assert not timeline([run("m", 300, 310, nominal=0, trigger="backfill")], {}, now
                        ).lanes[0].bars[0].late
    assert timeline([], {}, now).empty


def test_gantt_places_steps_in_the_run() -> None:
    def step(name: str, pos: int, start: float, end: float | None) -> StepRunRecord:
        return StepRunRecord(
            id=pos, run_id="r", name=name, step=name, position=pos, status="completed",
            cache_key=None, attempts=1, started_at=T0 + timedelta(seconds=start),
            ended_at=None if end is None else T0 + timedelta(seconds=end), duration=None,
            error=None, traceback=None, logs=None)

    r = run("r", 0, 10)
    r = RunRecord(**{**r.__dict__, "steps": {"load": step("load", 0, 0, 2),
                                             "train": step("train", 1, 2, 10)}})
    chart = gantt(r, T0 + timedelta(seconds=60))
    assert [(lane.name, lane.bars[0].left, lane.bars[0].width) for lane in chart.lanes] == [
        ("load", 0.0, 20.0), ("train", 20.0, 80.0)]


def test_calendar_weeks_start_on_monday_in_the_schedules_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    times = [datetime(2026, 3, d, 2, 30, tzinfo=paris) for d in (4, 5, 11)]
    weeks = calendar(times)
    assert [len(w) for w in weeks] == [7, 7]
    assert weeks[0][0].day == date(2026, 3, 2)  # the Monday before the first fire
    days = {d.day: d for w in weeks for d in w}
    assert [t.hour for t in days[date(2026, 3, 4)].times] == [2]
    assert not days[date(2026, 3, 3)].in_range and days[date(2026, 3, 6)].in_range
    assert calendar([]) == []


def test_long_logs_keep_their_end() -> None:
    from sundial.server.views import MAX_LOG_CHARS, run_view

    step = StepRunRecord(id=1, run_id="r" * 8, name="s", step="s", position=0,
                         status="failed", cache_key=None, attempts=1, started_at=T0,
                         ended_at=T0, duration=0.0, error="boom", traceback="Trace\nboom",
                         logs="x" * (MAX_LOG_CHARS * 3) + "the end")
    r = RunRecord(**{**run("r", 0, 1).__dict__, "steps": {"s": step}})
    shown = run_view(r)["steps"][0]
    assert shown["logs"].endswith("the end") and len(shown["logs"]) < MAX_LOG_CHARS + 200
    assert "sundial runs logs rrrrrrrr" in shown["logs"]
    assert shown["traceback"] == "Trace\nboom"
