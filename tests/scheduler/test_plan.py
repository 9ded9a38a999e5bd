"""The scheduler's decision core, on simulated instants (DESIGN §2).

Every test builds a ScheduleState by hand, picks a ``now`` and checks the Plan. Expected ticks
are written out or computed by plain arithmetic, never by asking the timing core, so the tests
are an independent oracle for it too. Times are compared as ISO strings with offsets where a
time zone matters.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sundial import Schedule
from sundial.errors import ScheduleTimingError
from sundial.scheduler.plan import (
    Plan,
    ScheduleState,
    TickDecision,
    base_instant,
    first_fire_at,
    jitter_offset,
    plan,
)

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    """An aware instant from ISO text; a bare time means that time on 2024-01-01 UTC."""
    if len(text) <= 5:
        text = f"2024-01-01T{text}:00+00:00"
    return datetime.fromisoformat(text)


def hourly(**fields: object) -> Schedule:
    """On the hour, UTC, from T0."""
    values: dict[str, object] = {
        "cron_expression": "0 * * * *",
        "start_time": T0,
        "timezone": "UTC",
        **fields,
    }
    return Schedule.model_validate(values)


def state_of(
    schedule: Schedule,
    *,
    last: datetime | None = None,
    fired: int = 0,
    active: int = 0,
    paused: tuple[datetime, datetime] | None = None,
    created: datetime = T0,
) -> ScheduleState:
    return ScheduleState(
        schedule=schedule,
        schedule_id="sched-1",
        created_at=created,
        last_nominal=last,
        fired_count=fired,
        active_runs=active,
        paused_window=paused,
    )


def hm(ticks: Iterable[TickDecision]) -> list[str]:
    return [t.nominal.strftime("%H:%M") for t in ticks]


def ran(p: Plan) -> list[str]:
    return hm(t for t in p.ticks if t.run)


def reasons(p: Plan) -> list[str | None]:
    return [t.reason for t in p.ticks]


def drive(state: ScheduleState, nows: Iterable[datetime], *, batch: int = 10_000) -> list[Plan]:
    """Feed every ``now`` through plan, the way the service does: the returned high-water
    mark and run count go back into the state, and ``more`` means plan again at once."""
    plans: list[Plan] = []
    for now in nows:
        while True:
            p = plan(state, now, batch=batch)
            plans.append(p)
            state = replace(
                state,
                last_nominal=p.last_nominal,
                fired_count=state.fired_count + sum(t.run for t in p.ticks),
            )
            if not p.more:
                break
    return plans


# -- counting from where ------------------------------------------------------------------


class TestBaseInstant:
    def test_last_nominal_wins(self) -> None:
        assert base_instant(state_of(hourly(), last=at("05:00"))) == at("05:00")

    def test_start_time_is_inclusive(self) -> None:
        base = base_instant(state_of(hourly()))
        assert base < T0
        assert T0 - base == timedelta(microseconds=1)
        assert hm(plan(state_of(hourly(catchup=True)), at("01:00")).ticks) == ["00:00", "01:00"]

    def test_cron_without_start_counts_from_registration(self) -> None:
        schedule = Schedule(cron_expression="0 * * * *", timezone="UTC")
        state = state_of(schedule, created=at("10:07"))
        assert base_instant(state) == at("10:07")
        p = plan(replace(state, schedule=schedule.replace(catchup=True)), at("12:30"))
        assert hm(p.ticks) == ["11:00", "12:00"]  # 10:00 was before registration

    def test_run_once_counts_from_just_before_its_time(self) -> None:
        schedule = Schedule(run_once_start_time=at("09:00"), timezone="UTC")
        assert base_instant(state_of(schedule, created=at("10:00"))) < at("09:00")

    def test_base_is_utc(self) -> None:
        base = base_instant(state_of(hourly(), last=at("2024-01-01T06:00:00+05:00")))
        assert base.utcoffset() == timedelta(0)
        assert base == at("01:00")


class TestFirstFireAt:
    def test_interval_fires_first_at_its_start(self) -> None:
        schedule = Schedule(
            interval_second=timedelta(minutes=30), start_time=at("12:00"), timezone="UTC"
        )
        assert first_fire_at(schedule, at("11:00")) == at("12:00")

    def test_cron_without_start_fires_after_registration(self) -> None:
        schedule = Schedule(cron_expression="*/15 * * * *", timezone="UTC")
        assert first_fire_at(schedule, at("10:07")) == at("10:15")

    def test_past_start_gives_a_past_first_fire_so_the_service_plans_at_once(self) -> None:
        assert first_fire_at(hourly(), at("10:07")) == T0

    def test_ended_schedule_never_fires(self) -> None:
        schedule = hourly(end_time=at("05:00"))
        assert first_fire_at(schedule, at("2024-01-02T00:00:00+00:00")) == T0
        cron = Schedule(cron_expression="0 * * * *", end_time=at("05:00"), timezone="UTC")
        assert first_fire_at(cron, at("06:00")) is None

    def test_result_is_utc(self) -> None:
        schedule = Schedule(cron_expression="30 2 * * *", timezone="Europe/Berlin")
        fire = first_fire_at(schedule, datetime(2024, 6, 1, tzinfo=BERLIN))
        assert fire is not None
        assert fire.tzinfo is UTC
        assert fire.astimezone(BERLIN).isoformat() == "2024-06-01T02:30:00+02:00"


# -- nothing due, and the live tick -------------------------------------------------------


class TestNothingDue:
    def test_before_the_next_tick_nothing_happens(self) -> None:
        p = plan(state_of(hourly(), last=at("05:00")), at("05:59"))
        assert p == Plan((), 0, at("05:00"), at("06:00"), completed=False, more=False)

    def test_before_the_first_tick_last_nominal_stays_unset(self) -> None:
        schedule = hourly(start_time=at("2024-02-01T00:00:00+00:00"))
        p = plan(state_of(schedule), at("05:00"))
        assert p.ticks == ()
        assert p.last_nominal is None
        assert p.next_fire_at == at("2024-02-01T00:00:00+00:00")
        assert not p.completed

    def test_now_exactly_on_a_tick_makes_it_due(self) -> None:
        p = plan(state_of(hourly(), last=at("05:00")), at("06:00"))
        assert ran(p) == ["06:00"]
        assert p.next_fire_at == at("07:00")

    def test_a_plan_is_a_pure_function(self) -> None:
        state = state_of(hourly(jitter=600), last=at("01:00"), active=1)
        assert plan(state, at("09:30")) == plan(state, at("09:30"))


class TestLiveTick:
    def test_on_time_tick_runs_and_moves_the_marks(self) -> None:
        p = plan(state_of(hourly(), last=at("05:00")), at("06:00"))
        (tick,) = p.ticks
        assert tick == TickDecision(at("06:00"), True, None, False, False, at("06:00"))
        assert p.last_nominal == at("06:00")
        assert p.next_fire_at == at("07:00")
        assert (p.cancel_oldest, p.completed, p.more) == (0, False, False)

    def test_outputs_are_aware_utc_whatever_zone_now_is_in(self) -> None:
        schedule = hourly(timezone="Europe/Berlin")
        p = plan(state_of(schedule, last=at("05:00")), datetime(2024, 1, 1, 9, 30, tzinfo=BERLIN))
        assert [t.nominal.isoformat() for t in p.ticks] == [
            "2024-01-01T06:00:00+00:00",
            "2024-01-01T07:00:00+00:00",
            "2024-01-01T08:00:00+00:00",
        ]
        assert all(t.nominal.tzinfo is UTC and t.not_before.tzinfo is UTC for t in p.ticks)
        assert p.last_nominal is not None and p.last_nominal.tzinfo is UTC
        assert p.next_fire_at is not None and p.next_fire_at.tzinfo is UTC


# -- catch-up after downtime ----------------------------------------------------------------


class TestDowntime:
    # Hourly; the last tick handled was 10:00; the scheduler was down until 15:20, so 11:00 to
    # 14:00 are missed and 15:00 is the live tick.
    last, now = at("10:00"), at("15:20")

    def test_catchup_off_runs_only_the_latest(self) -> None:
        p = plan(state_of(hourly(catchup=False), last=self.last), self.now)
        assert hm(p.ticks) == ["11:00", "12:00", "13:00", "14:00", "15:00"]
        assert reasons(p) == ["catchup_disabled"] * 4 + [None]
        assert ran(p) == ["15:00"]
        assert not any(t.catchup for t in p.ticks)
        assert p.last_nominal == at("15:00")
        assert p.next_fire_at == at("16:00")

    def test_catchup_on_runs_every_missed_tick_oldest_first(self) -> None:
        p = plan(state_of(hourly(catchup=True), last=self.last), self.now)
        assert ran(p) == ["11:00", "12:00", "13:00", "14:00", "15:00"]
        assert [t.catchup for t in p.ticks] == [True] * 4 + [False]
        assert p.last_nominal == at("15:00")

    def test_catchup_runs_are_queued_even_under_skip(self) -> None:
        # Catch-up means every missed run happens, whatever overlap says about live ticks.
        schedule = hourly(catchup=True, overlap="skip")
        p = plan(state_of(schedule, last=self.last, active=1), self.now)
        assert ran(p) == ["11:00", "12:00", "13:00", "14:00"]
        assert not any(t.bypass_limit for t in p.ticks)
        # The live tick competes with the active run and the four catch-up runs ahead of it.
        assert p.ticks[-1].reason == "overlap_skip"

    def test_start_time_in_the_past_is_missed_ticks(self) -> None:
        off = plan(state_of(hourly(), created=at("03:30")), at("03:30"))
        assert reasons(off) == ["catchup_disabled"] * 3 + [None]
        on = plan(state_of(hourly(catchup=True), created=at("03:30")), at("03:30"))
        assert ran(on) == ["00:00", "01:00", "02:00", "03:00"]


class TestPause:
    # Hourly. Paused 10:30, resumed 14:10; the scheduler had also been down since 08:00, so the
    # 09:00 and 10:00 ticks were missed before the pause began.
    paused = (at("10:30"), at("14:10"))

    def test_ticks_missed_while_paused_say_paused(self) -> None:
        state = state_of(hourly(), last=at("08:00"), paused=self.paused)
        p = plan(state, at("14:10"))
        assert hm(p.ticks) == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00"]
        assert reasons(p) == ["catchup_disabled"] * 2 + ["paused"] * 3 + [None]
        assert ran(p) == ["14:00"]

    def test_pause_bounds_are_inclusive(self) -> None:
        state = state_of(hourly(), last=at("08:00"), paused=(at("09:00"), at("11:00")))
        p = plan(state, at("12:00"))
        assert reasons(p) == ["paused", "paused", "paused", None]

    def test_catchup_runs_what_the_pause_missed(self) -> None:
        state = state_of(hourly(catchup=True), last=at("08:00"), paused=self.paused)
        p = plan(state, at("14:10"))
        assert ran(p) == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00"]


class TestCatchupWindow:
    # Hourly, catch-up on, last handled 10:00, now 15:20.
    def test_ticks_older_than_the_window_are_outside_it(self) -> None:
        schedule = hourly(catchup=True, catchup_window=timedelta(hours=2, minutes=30))
        p = plan(state_of(schedule, last=at("10:00")), at("15:20"))
        # now - window = 12:50: 11:00 and 12:00 are older.
        assert reasons(p) == ["outside_window", "outside_window", None, None, None]
        assert ran(p) == ["13:00", "14:00", "15:00"]
        assert [t.catchup for t in p.ticks] == [False, False, True, True, False]
        assert p.last_nominal == at("15:00")

    def test_a_tick_exactly_window_old_is_inside(self) -> None:
        schedule = hourly(catchup=True, catchup_window=timedelta(hours=2))
        # now - window = 12:00 exactly: the 12:00 tick is inside, 11:00 is not.
        p = plan(state_of(schedule, last=at("10:00")), at("14:00"))
        assert reasons(p) == ["outside_window", None, None, None]
        p = plan(state_of(schedule, last=at("10:00")), at("14:00") + timedelta(microseconds=1))
        assert reasons(p) == ["outside_window", "outside_window", None, None]

    def test_the_live_tick_too_must_be_inside(self) -> None:
        schedule = hourly(catchup=True, catchup_window=timedelta(minutes=10))
        p = plan(state_of(schedule, last=at("14:00")), at("15:30"))
        assert reasons(p) == ["outside_window"]
        assert p.last_nominal == at("15:00")
        assert p.next_fire_at == at("16:00")
        assert not p.completed

    def test_without_catchup_the_window_does_not_apply(self) -> None:
        schedule = hourly(catchup=False, catchup_window=timedelta(minutes=10))
        p = plan(state_of(schedule, last=at("13:00")), at("15:30"))
        assert reasons(p) == ["catchup_disabled", None]


# -- overlap --------------------------------------------------------------------------------


class TestOverlap:
    # The live 06:00 tick arrives while runs are active.
    def live(self, overlap: str, *, active: int, limit: int = 1, catchup: bool = False) -> Plan:
        schedule = hourly(overlap=overlap, max_active_runs=limit, catchup=catchup)
        return plan(state_of(schedule, last=at("05:00"), active=active), at("06:05"))

    @pytest.mark.parametrize("overlap", ["queue", "skip", "replace", "allow"])
    def test_below_the_limit_every_policy_runs(self, overlap: str) -> None:
        p = self.live(overlap, active=1, limit=2)
        assert ran(p) == ["06:00"]
        assert p.cancel_oldest == 0

    def test_queue_creates_the_run_to_wait_for_a_slot(self) -> None:
        p = self.live("queue", active=1)
        assert ran(p) == ["06:00"]
        assert (p.ticks[0].bypass_limit, p.cancel_oldest) == (False, 0)

    def test_skip_records_the_tick_as_skipped(self) -> None:
        p = self.live("skip", active=1)
        assert ran(p) == []
        assert reasons(p) == ["overlap_skip"]
        assert p.last_nominal == at("06:00")  # handled: it is not retried later

    def test_replace_cancels_the_oldest_active_run(self) -> None:
        p = self.live("replace", active=1)
        assert ran(p) == ["06:00"]
        assert p.cancel_oldest == 1

    def test_replace_cancels_enough_to_make_one_slot(self) -> None:
        assert self.live("replace", active=3, limit=2).cancel_oldest == 2

    def test_replace_never_cancels_this_plans_catchup_runs(self) -> None:
        schedule = hourly(overlap="replace", catchup=True)
        p = plan(state_of(schedule, last=at("02:00"), active=0), at("06:05"))
        assert ran(p) == ["03:00", "04:00", "05:00", "06:00"]
        assert p.cancel_oldest == 0
        p = plan(replace(state_of(schedule, last=at("02:00")), active_runs=2), at("06:05"))
        assert p.cancel_oldest == 2

    def test_allow_ignores_the_limit(self) -> None:
        p = self.live("allow", active=5)
        assert ran(p) == ["06:00"]
        assert p.ticks[0].bypass_limit
        assert p.cancel_oldest == 0

    def test_only_the_live_tick_follows_overlap(self) -> None:
        p = self.live("allow", active=0, catchup=True)
        assert [t.bypass_limit for t in p.ticks] == [True]
        schedule = hourly(overlap="allow", catchup=True)
        p = plan(state_of(schedule, last=at("03:00"), active=1), at("06:05"))
        assert [t.bypass_limit for t in p.ticks] == [False, False, True]
        assert [t.catchup for t in p.ticks] == [True, True, False]


# -- the end of a schedule --------------------------------------------------------------------


class TestCompletion:
    def test_end_time_is_inclusive_and_completes_the_schedule(self) -> None:
        schedule = hourly(end_time=at("08:00"), catchup=True)
        p = plan(state_of(schedule, last=at("05:00")), at("12:00"))
        assert ran(p) == ["06:00", "07:00", "08:00"]
        assert (p.next_fire_at, p.completed) == (None, True)
        assert p.last_nominal == at("08:00")

    def test_a_schedule_with_a_future_fire_time_is_not_completed(self) -> None:
        schedule = hourly(end_time=at("08:00"))
        p = plan(state_of(schedule, last=at("05:00")), at("07:30"))
        assert (p.next_fire_at, p.completed) == (at("08:00"), False)

    def test_completed_as_soon_as_the_last_tick_is_handled(self) -> None:
        schedule = hourly(end_time=at("08:30"))
        p = plan(state_of(schedule, last=at("07:00")), at("08:00"))
        assert ran(p) == ["08:00"]
        assert p.completed

    def test_end_time_already_passed_at_registration(self) -> None:
        schedule = Schedule(cron_expression="0 * * * *", end_time=at("05:00"), timezone="UTC")
        p = plan(state_of(schedule, created=at("06:00")), at("07:00"))
        assert p == Plan((), 0, None, None, completed=True, more=False)

    def test_max_runs_stops_at_the_run_that_reaches_it(self) -> None:
        schedule = hourly(catchup=True, max_runs=5)
        p = plan(state_of(schedule, last=at("05:00"), fired=2), at("12:00"))
        assert ran(p) == ["06:00", "07:00", "08:00"]
        assert hm(p.ticks) == ["06:00", "07:00", "08:00"]  # later ticks are not recorded
        assert p.last_nominal == at("08:00")
        assert (p.next_fire_at, p.completed, p.more) == (None, True, False)

    def test_max_runs_counts_runs_not_skipped_ticks(self) -> None:
        schedule = hourly(catchup=False, max_runs=1)
        p = plan(state_of(schedule, last=at("05:00")), at("09:10"))
        assert reasons(p) == ["catchup_disabled"] * 3 + [None]
        assert p.completed
        skipping = hourly(overlap="skip", max_runs=1)
        p = plan(state_of(skipping, last=at("05:00"), active=1), at("06:10"))
        assert reasons(p) == ["overlap_skip"]
        assert not p.completed
        assert p.next_fire_at == at("07:00")

    def test_max_runs_already_reached_plans_nothing(self) -> None:
        schedule = hourly(max_runs=3)
        p = plan(state_of(schedule, last=at("05:00"), fired=3), at("12:00"))
        assert p == Plan((), 0, at("05:00"), None, completed=True, more=False)

    def test_max_runs_reached_inside_a_batch_ends_the_batching(self) -> None:
        schedule = Schedule(
            interval_second=timedelta(seconds=1),
            start_time=T0,
            catchup=True,
            max_runs=15,
            timezone="UTC",
        )
        p = plan(state_of(schedule), T0 + HOUR, batch=10)
        assert len(p.ticks) == 10 and p.more and not p.completed
        q = plan(state_of(schedule, last=p.last_nominal, fired=10), T0 + HOUR, batch=10)
        assert len(q.ticks) == 5
        assert (q.completed, q.more, q.next_fire_at) == (True, False, None)
        assert q.last_nominal == T0 + timedelta(seconds=14)


class TestRunOnce:
    schedule = Schedule(run_once_start_time=at("09:00"), timezone="UTC")

    def test_waits_for_its_time(self) -> None:
        p = plan(state_of(self.schedule, created=at("08:00")), at("08:59"))
        assert p == Plan((), 0, None, at("09:00"), completed=False, more=False)
        assert first_fire_at(self.schedule, at("08:00")) == at("09:00")

    def test_fires_once_then_completes(self) -> None:
        state = state_of(self.schedule, created=at("08:00"))
        p = plan(state, at("09:00"))
        assert ran(p) == ["09:00"]
        assert (p.last_nominal, p.next_fire_at, p.completed) == (at("09:00"), None, True)
        again = plan(replace(state, last_nominal=p.last_nominal, fired_count=1), at("23:00"))
        assert again.ticks == ()
        assert again.completed

    def test_registered_after_its_time_fires_once_at_once(self) -> None:
        state = state_of(self.schedule, created=at("10:00"))
        assert first_fire_at(self.schedule, at("10:00")) == at("09:00")
        p = plan(state, at("10:00"))
        assert ran(p) == ["09:00"]
        assert p.completed


# -- changes of timing ------------------------------------------------------------------------


class TestUpdate:
    def test_a_denser_schedule_neither_reruns_nor_drops_handled_ticks(self) -> None:
        # Handled up to 10:00 on an hourly schedule; updated to every 30 minutes at 10:40.
        state = state_of(hourly(catchup=True), last=at("10:00"))
        before = plan(state, at("10:00"))
        assert before.ticks == ()  # 10:00 itself is handled: not run again
        updated = replace(state, schedule=hourly(cron_expression="*/30 * * * *", catchup=True))
        p = plan(updated, at("11:05"))
        assert hm(p.ticks) == ["10:30", "11:00"]

    def test_moving_the_minute_counts_from_the_handled_tick(self) -> None:
        state = state_of(hourly(), last=at("10:00"))
        moved = replace(state, schedule=hourly(cron_expression="30 * * * *"))
        assert plan(moved, at("10:20")).next_fire_at == at("10:30")
        assert ran(plan(moved, at("10:45"))) == ["10:30"]

    def test_a_grid_through_the_handled_tick_does_not_repeat_it(self) -> None:
        # Interval 20 minutes from 09:20: 10:00 is on the new grid and already handled.
        state = state_of(hourly(catchup=True), last=at("10:00"))
        new = Schedule(
            interval_second=timedelta(minutes=20),
            start_time=at("09:20"),
            catchup=True,
            timezone="UTC",
        )
        p = plan(replace(state, schedule=new), at("11:00"))
        assert hm(p.ticks) == ["10:20", "10:40", "11:00"]

    def test_a_later_start_time_moves_the_next_tick(self) -> None:
        state = state_of(hourly(), last=at("10:00"))
        new = hourly(start_time=at("15:00"))
        p = plan(replace(state, schedule=new), at("12:00"))
        assert p.ticks == ()
        assert p.next_fire_at == at("15:00")


# -- batching -------------------------------------------------------------------------------


class TestBatching:
    # Every second from T0; the scheduler looks half a second after the 25,000th tick.
    schedule = Schedule(
        interval_second=timedelta(seconds=1), start_time=T0, catchup=True, timezone="UTC"
    )
    now = T0 + timedelta(seconds=24_999, microseconds=500_000)
    expected: ClassVar[list[datetime]] = [T0 + timedelta(seconds=k) for k in range(25_000)]

    def test_catchup_is_decided_in_batches_each_tick_once(self) -> None:
        plans = drive(state_of(self.schedule), [self.now], batch=10_000)
        assert [len(p.ticks) for p in plans] == [10_000, 10_000, 5_000]
        assert [p.more for p in plans] == [True, True, False]
        decided = [t.nominal for p in plans for t in p.ticks]
        assert decided == self.expected
        assert all(t.run for p in plans for t in p.ticks)
        # Only the very last tick is live; the rest are catch-up.
        assert sum(not t.catchup for p in plans for t in p.ticks) == 1
        # While more is set, next_fire_at is the next due tick: plan again at once.
        assert plans[0].next_fire_at == T0 + timedelta(seconds=10_000)
        assert plans[-1].next_fire_at == T0 + timedelta(seconds=25_000)

    def test_without_catchup_full_batches_have_no_live_tick(self) -> None:
        schedule = self.schedule.replace(catchup=False)
        plans = drive(state_of(schedule), [self.now], batch=10_000)
        assert [len(p.ticks) for p in plans] == [10_000, 10_000, 5_000]
        ticks = [t for p in plans for t in p.ticks]
        assert [t.nominal for t in ticks] == self.expected
        assert [t for t in ticks if t.run] == [ticks[-1]]
        assert {t.reason for t in ticks[:-1]} == {"catchup_disabled"}

    def test_a_batch_that_ends_exactly_at_the_last_due_tick_is_final(self) -> None:
        p = plan(state_of(self.schedule), T0 + timedelta(seconds=9), batch=10)
        assert (len(p.ticks), p.more) == (10, False)
        assert p.next_fire_at == T0 + timedelta(seconds=10)

    def test_bad_batch_is_refused(self) -> None:
        with pytest.raises(ValueError, match="batch"):
            plan(state_of(self.schedule), self.now, batch=0)


# -- jitter ---------------------------------------------------------------------------------


class TestJitter:
    def test_offsets_stay_within_bounds_and_spread(self) -> None:
        jitter = timedelta(minutes=5)
        offsets = [jitter_offset("s", T0 + k * HOUR, jitter) for k in range(2_000)]
        assert all(timedelta(0) <= o <= jitter for o in offsets)
        assert len(set(offsets)) > 1_900
        assert min(offsets) < timedelta(seconds=5)
        assert max(offsets) > jitter - timedelta(seconds=5)

    def test_tiny_jitter_reaches_both_ends(self) -> None:
        one = timedelta(microseconds=1)
        assert {jitter_offset("s", T0 + k * HOUR, one) for k in range(200)} == {
            timedelta(0),
            one,
        }

    def test_deterministic_by_id_and_instant_not_zone(self) -> None:
        jitter = timedelta(minutes=5)
        here = jitter_offset("s", at("06:00"), jitter)
        assert here == jitter_offset("s", at("06:00"), jitter)
        assert here == jitter_offset("s", at("06:00").astimezone(BERLIN), jitter)
        assert len({jitter_offset(f"s{i}", at("06:00"), jitter) for i in range(50)}) > 45

    def test_zero_jitter_is_no_delay(self) -> None:
        assert jitter_offset("s", T0, timedelta(0)) == timedelta(0)
        p = plan(state_of(hourly(catchup=True), last=at("01:00")), at("05:00"))
        assert all(t.not_before == t.nominal for t in p.ticks)

    def test_jitter_delays_only_not_before(self) -> None:
        schedule = hourly(catchup=True, jitter=timedelta(minutes=10))
        state = state_of(schedule, last=at("01:00"))
        p = plan(state, at("05:00"))
        assert hm(p.ticks) == ["02:00", "03:00", "04:00", "05:00"]
        for tick in p.ticks:
            delay = tick.not_before - tick.nominal
            assert delay == jitter_offset(state.schedule_id, tick.nominal, schedule.jitter)
            assert timedelta(0) <= delay <= timedelta(minutes=10)

    def test_ticks_that_do_not_run_are_not_delayed(self) -> None:
        schedule = hourly(jitter=timedelta(minutes=10))
        p = plan(state_of(schedule, last=at("01:00")), at("05:00"))
        assert all(t.not_before == t.nominal for t in p.ticks if not t.run)


# -- time zones -------------------------------------------------------------------------------


class TestDaylightSaving:
    def test_spring_forward_daily_0230_fires_once_at_0300(self) -> None:
        # Europe/Berlin, Sunday 2024-03-31: at 02:00 CET the clock jumps to 03:00 CEST.
        #   2024-03-30T02:30:00+01:00   fires
        #   2024-03-31T02:00 - 02:59    does not exist
        #   2024-03-31T03:00:00+02:00   fires once, right after the jump
        #   2024-04-01T02:30:00+02:00   fires
        schedule = Schedule(
            cron_expression="30 2 * * *",
            start_time=datetime(2024, 3, 29, tzinfo=BERLIN),
            timezone="Europe/Berlin",
        )
        # Driven every 10 minutes from Friday to Tuesday, as a live scheduler would see it.
        start = datetime(2024, 3, 29, tzinfo=BERLIN)
        nows = [start + k * timedelta(minutes=10) for k in range(4 * 24 * 6)]
        plans = drive(state_of(schedule, created=start), nows)
        fired = [t.nominal.astimezone(BERLIN).isoformat() for p in plans for t in p.ticks]
        assert fired == [
            "2024-03-29T02:30:00+01:00",
            "2024-03-30T02:30:00+01:00",
            "2024-03-31T03:00:00+02:00",
            "2024-04-01T02:30:00+02:00",
        ]
        assert all(t.run for p in plans for t in p.ticks)

    def test_spring_forward_after_downtime_with_catchup(self) -> None:
        schedule = Schedule(cron_expression="30 2 * * *", catchup=True, timezone="Europe/Berlin")
        state = state_of(schedule, last=datetime(2024, 3, 30, 2, 30, tzinfo=BERLIN))
        p = plan(state, datetime(2024, 4, 1, 12, 0, tzinfo=BERLIN))
        assert [t.nominal.astimezone(BERLIN).isoformat() for t in p.ticks] == [
            "2024-03-31T03:00:00+02:00",
            "2024-04-01T02:30:00+02:00",
        ]
        assert [t.catchup for t in p.ticks] == [True, False]
        assert p.next_fire_at is not None
        assert p.next_fire_at.astimezone(BERLIN).isoformat() == "2024-04-02T02:30:00+02:00"

    def test_fall_back_daily_0230_fires_once(self) -> None:
        # Europe/Berlin, Sunday 2024-10-27: at 03:00 CEST the clock goes back to 02:00 CET,
        # so 02:30 happens twice (00:30 and 01:30 UTC). It fires once, on the first pass.
        schedule = Schedule(cron_expression="30 2 * * *", timezone="Europe/Berlin")
        start = datetime(2024, 10, 26, 12, tzinfo=BERLIN)
        nows = [start + k * timedelta(minutes=5) for k in range(24 * 12)]
        plans = drive(state_of(schedule, created=start), nows)
        fired = [t.nominal.astimezone(BERLIN).isoformat() for p in plans for t in p.ticks]
        assert fired == ["2024-10-27T02:30:00+02:00"]


# -- bad input ------------------------------------------------------------------------------


class TestAwareOnly:
    def test_naive_now_is_refused(self) -> None:
        with pytest.raises(ValueError, match="now must be an aware datetime"):
            plan(state_of(hourly()), datetime(2024, 1, 1, 5))

    def test_naive_state_is_refused(self) -> None:
        with pytest.raises(ValueError, match="last_nominal"):
            plan(state_of(hourly(), last=datetime(2024, 1, 1, 5)), at("06:00"))
        cron = Schedule(cron_expression="0 * * * *", timezone="UTC")
        with pytest.raises(ValueError, match="created_at"):
            plan(state_of(cron, created=datetime(2024, 1, 1, 5)), at("06:00"))
        with pytest.raises(ValueError, match="paused_window"):
            paused = (datetime(2024, 1, 1, 1), datetime(2024, 1, 1, 2))
            plan(state_of(hourly(), last=at("00:00"), paused=paused), at("06:00"))


# -- whole timelines --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    interval=st.integers(min_value=1, max_value=7_200),
    start_offset=st.integers(min_value=0, max_value=86_400),
    # Steps in hundredths of an interval, so they fall between ticks and stay cheap.
    steps=st.lists(st.integers(min_value=0, max_value=3_000), min_size=1, max_size=12),
    catchup=st.booleans(),
    batch=st.integers(min_value=1, max_value=40),
    active=st.integers(min_value=0, max_value=3),
    max_runs=st.one_of(st.none(), st.integers(min_value=1, max_value=300)),
)
def test_every_due_tick_is_decided_exactly_once(
    interval: int,
    start_offset: int,
    steps: list[int],
    catchup: bool,
    batch: int,
    active: int,
    max_runs: int | None,
) -> None:
    start = T0 + timedelta(seconds=start_offset)
    schedule = Schedule(
        interval_second=timedelta(seconds=interval),
        start_time=start,
        catchup=catchup,
        max_runs=max_runs,
        timezone="UTC",
    )
    state = state_of(schedule, created=T0, active=active)
    # now walks forward from T0 (at or before the start) in random steps; 0 repeats an instant.
    nows: list[datetime] = []
    now = T0
    for step in steps:
        now += timedelta(microseconds=interval * 10_000 * step)
        nows.append(now)

    plans = drive(state, nows, batch=batch)
    ticks = [t for p in plans for t in p.ticks]

    # The oracle is plain arithmetic: start + k·interval up to the last now.
    step_size = timedelta(seconds=interval)
    due = (
        [start + k * step_size for k in range((now - start) // step_size + 1)]
        if now >= start
        else []
    )
    assert all(len(p.ticks) <= batch for p in plans)
    runs = [t for t in ticks if t.run]
    if max_runs is not None and len(runs) == max_runs:
        # Ended: nothing after the tick that made the last run is recorded, and later plans
        # decide nothing more.
        assert ticks[-1] is runs[-1]
        assert plans[-1].completed
        due = due[: len(ticks)]
    assert [t.nominal for t in ticks] == due
    if catchup:
        # With catch-up and no window, nothing due is ever left out (overlap is "queue").
        assert len(runs) == len(ticks)
    else:
        assert {t.reason for t in ticks if not t.run} <= {"catchup_disabled"}
        # Each time the scheduler looked, the newest due tick ran (unless max_runs ended it).
        for p in plans:
            if p.ticks and not p.more:
                assert p.ticks[-1].run


def test_six_months_of_a_quarter_hourly_cron() -> None:
    # */15 in Berlin follows real time (its minute field starts with "*"), and Berlin's offsets
    # are whole hours, so the ticks are every 15 minutes of UTC, through the spring-forward night.
    schedule = Schedule(
        cron_expression="*/15 * * * *",
        start_time=datetime(2024, 1, 1, tzinfo=BERLIN),
        catchup=True,
        timezone="Europe/Berlin",
    )
    # UTC, so that adding 15 minutes is elapsed time (aware arithmetic within one zone is
    # wall-clock arithmetic in Python).
    begin = datetime(2024, 1, 1, tzinfo=BERLIN).astimezone(UTC)
    end = datetime(2024, 7, 1, tzinfo=BERLIN).astimezone(UTC)
    rng = random.Random(20240101)
    nows: list[datetime] = []
    now = begin
    while now < end:
        now = min(end, now + timedelta(seconds=rng.randint(60, 3 * 86_400)))
        nows.append(now)

    plans = drive(state_of(schedule, created=begin), nows, batch=1_000)
    ticks = [t.nominal for p in plans for t in p.ticks]
    quarter = timedelta(minutes=15)
    expected = [begin + k * quarter for k in range((end - begin) // quarter + 1)]
    assert ticks == expected
    assert all(t.run for p in plans for t in p.ticks)
    assert plans[-1].next_fire_at == end + quarter


def test_a_plan_over_its_budget_raises_instead_of_deciding() -> None:
    # The service's defensive bound: the budget is asked once per fire time.
    asked: list[int] = []

    def over_budget() -> bool:
        asked.append(1)
        return len(asked) > 3

    state = state_of(hourly(name="slow"))
    with pytest.raises(ScheduleTimingError, match="'slow' exceeded its time budget after 3"):
        plan(state, at("10:00"), over_budget=over_budget)
    assert len(plan(state, at("10:00"), over_budget=lambda: False).ticks) == 11
