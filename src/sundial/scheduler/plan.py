"""What the scheduler does with a schedule's ticks: the pure decision core.

``plan(state, now)`` takes what the store knows about one schedule and the current instant and
returns what to do: which ticks are due, which of them become runs and why the others do not,
how many active runs to cancel, the new high-water mark and when to look again. It reads no
clock and touches no store; ``scheduler/service.py`` claims the schedule, calls it, records the
result in one transaction (runs unique on schedule id + nominal time) and dispatches.

The rules are DESIGN §2. Where it is silent, this module chooses as follows (each choice is
also stated where it is made):

- **Counting from.** Ticks are counted from :func:`base_instant`: the newest handled tick, else
  ``start_time`` (inclusive), else the registration instant. So a start time in the past makes
  missed ticks (Airflow's ``start_date`` + ``catchup``), while a cron without a start fires only
  after it was registered. A run-once schedule fires once even when registered after its time.
- **Live and missed.** Of the due ticks (after the base, at most ``now``) the newest is *live*
  and the older ones are *missed*. ``catchup=False`` runs only the live tick; ``catchup=True``
  runs every missed tick as a queued catch-up run. The live tick follows ``overlap``.
- **catchup_window** applies only with ``catchup=True`` (the Schedule's documented meaning) and
  to the live tick too: with a 10-minute window, a tick the scheduler sees 30 minutes late is
  ``outside_window``. A tick exactly ``catchup_window`` old is inside.
- **paused** is only a reason for not running, never a reason to run less: with
  ``catchup=False`` a missed tick inside the last pause (bounds inclusive) is recorded as
  ``paused`` instead of ``catchup_disabled``, and the live tick still runs, as unpausing an
  Airflow DAG runs its latest interval. With ``catchup=True`` ticks missed while paused run.
  ``plan`` is not meant to be called while a schedule is paused (the state has no "paused now").
- **Overlap** counts ``state.active_runs`` plus the catch-up runs this plan creates, so a live
  tick behind a backlog of catch-up runs is skipped (``skip``) or queued behind them. ``replace``
  cancels only runs that existed before this plan (catch-up is never cancelled by its own plan).
  ``allow`` marks the live run ``bypass_limit`` whether or not the limit is reached, so that a
  dispatcher never holds it back.
- **max_runs** counts runs, not skipped ticks. The tick that reaches it is the last one recorded.
- **jitter** delays ``not_before`` of runs only; a tick that does not run has
  ``not_before == nominal``.
- **Budget.** The caller may pass ``over_budget``, asked once per fire time; when it says yes,
  ``plan`` raises ``ScheduleTimingError`` instead of deciding, so the caller can set the
  schedule aside (``plan`` itself still reads no clock).
- **Batches.** At most ``batch`` ticks per call; ``more=True`` means call again at once with the
  returned ``last_nominal``. With ``catchup=False`` a full batch followed by more due ticks has no
  live tick: all of it is missed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sundial.definition.schedule import Schedule
from sundial.errors import ScheduleTimingError
from sundial.timing import fire_times

__all__ = [
    "Plan",
    "ScheduleState",
    "SkipReason",
    "TickDecision",
    "base_instant",
    "first_fire_at",
    "jitter_offset",
    "plan",
]

#: Why a tick did not become a run; the store keeps it so ``describe`` can say why.
SkipReason = Literal["catchup_disabled", "outside_window", "overlap_skip", "paused"]

_MICROSECOND = timedelta(microseconds=1)
_ZERO = timedelta(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ScheduleState:
    """What the store knows about one schedule when the scheduler plans it.

    All datetimes are aware (any zone; the plan works in UTC).
    """

    schedule: Schedule
    #: Stable id of the schedule record; seeds the deterministic jitter.
    schedule_id: str
    #: The instant the schedule was registered.
    created_at: datetime
    #: The newest tick already handled (run or recorded as not run); ``None``: none yet.
    last_nominal: datetime | None
    #: Runs created by ticks so far, for ``max_runs`` (manual triggers and back-fills excluded).
    fired_count: int
    #: Runs of this schedule queued, starting or running now.
    active_runs: int
    #: ``(paused_at, resumed_at)`` of the last pause, or ``None``.
    paused_window: tuple[datetime, datetime] | None = None


@dataclass(frozen=True, slots=True)
class TickDecision:
    """What one tick becomes."""

    #: The tick's fire time, aware UTC: with the schedule id, the run's unique key.
    nominal: datetime
    #: True: create a run for this tick.
    run: bool
    #: ``None`` when ``run``; else why not.
    reason: SkipReason | None
    #: True for a missed tick run by catch-up: always queued, never skipped or cancelled.
    catchup: bool
    #: The live tick under ``overlap="allow"``: dispatch even at ``max_active_runs``.
    bypass_limit: bool
    #: ``nominal`` plus the jitter offset: the run must not start earlier.
    not_before: datetime


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do with a schedule now; the service records all of it in one transaction.

    Invariants: ``ticks`` are oldest first, all after the state's base instant and at most
    ``now``; ``last_nominal`` is the newest of them (or the state's own when there are none);
    ``completed`` implies ``next_fire_at is None`` and ``more is False``.
    """

    #: Decisions, oldest first; each due tick appears in exactly one plan.
    ticks: tuple[TickDecision, ...]
    #: ``overlap="replace"``: how many active runs to cancel, oldest first.
    cancel_oldest: int
    #: The new high-water mark: the newest tick handled.
    last_nominal: datetime | None
    #: The next tick strictly after ``last_nominal`` (after the base instant when none was
    #: handled yet), aware UTC; ``None`` when no tick remains. At most ``now`` when ``more``.
    next_fire_at: datetime | None
    #: The schedule has ended: end_time passed, no fire time left, or max_runs reached.
    completed: bool
    #: The batch limit was hit and due ticks remain: plan again at once.
    more: bool


def base_instant(state: ScheduleState) -> datetime:
    """The instant ticks are counted from, exclusive, aware UTC.

    ``last_nominal`` when a tick was handled; else just before ``run_once_start_time`` for a
    run-once schedule (it fires once even if registered after its time); else just before
    ``start_time`` when set (``start_time`` is inclusive, and one in the past makes missed
    ticks); else ``created_at`` (a cron with no start fires only after registration).

    :raises ValueError: a datetime in the state is naive.
    """
    return _base(state.schedule, state.created_at, state.last_nominal)


def first_fire_at(schedule: Schedule, created_at: datetime) -> datetime | None:
    """The ``next_fire_at`` to store when ``schedule`` is registered at ``created_at``.

    Aware UTC, or ``None`` when the schedule can never fire (e.g. its end_time has passed). It
    may be in the past (a start time in the past): the service then plans it at once.

    :raises ValueError: ``created_at`` is naive.
    """
    nxt = next(fire_times(schedule, _base(schedule, created_at, None), limit=1), None)
    return None if nxt is None else nxt.astimezone(UTC)


def jitter_offset(schedule_id: str, nominal: datetime, jitter: timedelta) -> timedelta:
    """How long after ``nominal`` the run of that tick may start: in ``[0, jitter]``.

    Deterministic, so every replica and every retry of a plan agrees: the first 8 bytes
    (big-endian) of ``sha256(f"{schedule_id}\\x00{µs}")``, where ``µs`` is ``nominal`` as whole
    microseconds since the Unix epoch, scaled to a whole number of microseconds uniform over
    the ``jitter + 1µs`` possible values. The instant counts, not its zone.

    :raises ValueError: ``nominal`` is naive.
    """
    _require_aware("nominal", nominal)
    span = jitter // _MICROSECOND
    if span <= 0:
        return _ZERO
    # Integer microseconds rather than an ISO string: exact, zone-free, and cheaper per tick.
    key = f"{schedule_id}\x00{(nominal - _EPOCH) // _MICROSECOND}".encode()
    draw = int.from_bytes(hashlib.sha256(key).digest()[:8], "big")
    # draw is uniform in [0, 2**64); scaling by (span + 1) and dropping 64 bits is uniform in
    # [0, span] without float rounding, so jitter itself is reachable and never exceeded.
    return timedelta(microseconds=(draw * (span + 1)) >> 64)


def plan(state: ScheduleState, now: datetime, *, batch: int = 10_000,
         over_budget: Callable[[], bool] | None = None) -> Plan:
    """Decide the ticks of ``state.schedule`` that are due at ``now`` (see the module doc).

    Due ticks are the fire times strictly after :func:`base_instant` and at most ``now``; at
    most ``batch`` of them are decided per call. Feeding ``Plan.last_nominal`` back as the
    state's ``last_nominal`` decides every due tick exactly once, whatever the ``now`` values.

    Pure: the same state and ``now`` give the same plan. Holds at most ``batch + 1`` fire times;
    interval fire times are found by arithmetic, so a backlog of years costs ``batch`` steps.

    :raises ValueError: ``now`` or a datetime in the state is naive, or ``batch`` < 1.
    :raises ScheduleTimingError: ``over_budget()`` said yes before the plan was made.
    """
    _require_aware("now", now)
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    schedule = state.schedule
    now = now.astimezone(UTC)

    remaining: int | None = None
    if schedule.max_runs is not None:
        remaining = schedule.max_runs - state.fired_count
        if remaining <= 0:
            return Plan((), 0, state.last_nominal, None, completed=True, more=False)

    due, following = _due_ticks(schedule, base_instant(state), now, batch, over_budget)
    # The tick after the batch is itself due: the batch has no live tick, and plan runs again.
    more = following is not None and following <= now
    live = None if more or not due else due[-1]

    window_start: datetime | None = None
    if schedule.catchup and schedule.catchup_window is not None:
        window_start = now - schedule.catchup_window
    paused = _utc_window(state.paused_window)

    decisions: list[TickDecision] = []
    created = 0
    cancel = 0
    reached_max = False
    for nominal in due:
        if window_start is not None and nominal < window_start:
            decision = _skipped(nominal, "outside_window")
        elif nominal is live:
            # Active runs the live tick competes with: those already there plus the catch-up
            # runs queued ahead of it by this plan.
            decision, cancel = _live(state, nominal, state.active_runs + created)
        elif schedule.catchup:
            decision = _run(state, nominal, catchup=True)
        elif paused is not None and paused[0] <= nominal <= paused[1]:
            decision = _skipped(nominal, "paused")
        else:
            decision = _skipped(nominal, "catchup_disabled")
        decisions.append(decision)
        if decision.run:
            created += 1
            if remaining is not None and created >= remaining:
                # max_runs reached: later ticks belong to an ended schedule, so they are not
                # recorded at all (not even as skipped).
                reached_max = True
                break

    last_nominal = decisions[-1].nominal if decisions else state.last_nominal
    if reached_max:
        return Plan(tuple(decisions), cancel, last_nominal, None, completed=True, more=False)
    # Not cut short, so `following` is the first fire time after the newest decided tick (or
    # after the base when nothing was due): the next tick, and None when none is left.
    return Plan(
        tuple(decisions),
        cancel,
        last_nominal,
        following,
        completed=following is None,
        more=more,
    )


def _due_ticks(
    schedule: Schedule, base: datetime, now: datetime, batch: int,
    over_budget: Callable[[], bool] | None,
) -> tuple[list[datetime], datetime | None]:
    """Up to ``batch`` UTC fire times in ``(base, now]`` and the one after them (or ``None``).

    One lazy pass over at most ``batch + 1`` fire times: the one after the batch is either
    still due (more to do) or the next fire time, so no second search is needed.
    """
    due: list[datetime] = []
    times: Iterator[datetime] = fire_times(schedule, base, limit=batch + 1)
    for fire in times:
        if over_budget is not None and over_budget():
            raise ScheduleTimingError(
                f"planning schedule {schedule.name!r} exceeded its time budget after "
                f"{len(due)} fire times",
                "it is set aside and retried; if this repeats, report it with its definition",
            )
        fire_utc = fire.astimezone(UTC)
        if fire_utc > now or len(due) == batch:
            return due, fire_utc
        due.append(fire_utc)
    return due, None


def _live(state: ScheduleState, nominal: datetime, active: int) -> tuple[TickDecision, int]:
    """The live tick under the overlap policy, and how many active runs to cancel."""
    schedule = state.schedule
    limit = schedule.max_active_runs
    if schedule.overlap == "allow":
        # "allow ignores the limit": marked even below it, so a dispatcher that sees the limit
        # filled by the time it gets to this run still starts it.
        return _run(state, nominal, bypass_limit=True), 0
    if active < limit:
        return _run(state, nominal), 0
    if schedule.overlap == "skip":
        return _skipped(nominal, "overlap_skip"), 0
    if schedule.overlap == "replace":
        # Only runs that existed before this plan may be cancelled; the catch-up runs this plan
        # queues are never cancelled by it (catch-up means every missed run happens). When
        # they alone fill the limit, the live run waits behind them.
        return _run(state, nominal), max(0, state.active_runs - limit + 1)
    # "queue": the run is created now and the dispatcher starts it when a slot frees.
    return _run(state, nominal), 0


def _run(
    state: ScheduleState, nominal: datetime, *, catchup: bool = False, bypass_limit: bool = False
) -> TickDecision:
    jitter = state.schedule.jitter
    not_before = nominal
    if jitter > _ZERO:
        not_before = nominal + jitter_offset(state.schedule_id, nominal, jitter)
    return TickDecision(nominal, True, None, catchup, bypass_limit, not_before)


def _skipped(nominal: datetime, reason: SkipReason) -> TickDecision:
    return TickDecision(nominal, False, reason, False, False, nominal)


def _base(schedule: Schedule, created_at: datetime, last_nominal: datetime | None) -> datetime:
    if last_nominal is not None:
        _require_aware("last_nominal", last_nominal)
        return last_nominal.astimezone(UTC)
    if schedule.kind == "once" and schedule.run_once_start_time is not None:
        return _just_before(schedule.run_once_start_time)
    if schedule.start_time is not None:
        return _just_before(schedule.start_time)
    _require_aware("created_at", created_at)
    return created_at.astimezone(UTC)


def _just_before(instant: datetime) -> datetime:
    # Fire times are strictly after the base; one microsecond (datetime's resolution) earlier
    # makes the bound inclusive. At datetime.min nothing can come before anyway.
    instant = instant.astimezone(UTC)
    try:
        return instant - _MICROSECOND
    except OverflowError:
        return instant


def _utc_window(
    window: tuple[datetime, datetime] | None,
) -> tuple[datetime, datetime] | None:
    if window is None:
        return None
    start, end = window
    _require_aware("paused_window", start)
    _require_aware("paused_window", end)
    return start.astimezone(UTC), end.astimezone(UTC)


def _require_aware(name: str, value: datetime) -> None:
    # A naive datetime here is a bug in the caller (the store keeps UTC): guessing a zone
    # could fire a tick hours early or late, so refuse it.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}")
