"""The time-core reproductions of the independent audit (issue 9), each pinned as a test.

Defect 1: fire times that never came back in Pacific/Chatham's April fall-back. Defect 2: a
range whose start equals its end, with a step, ran to the field's maximum. Defect 3: real
wall-clock times missed in 45-minute and midnight DST changes. Each timeline is written out as
ISO strings with offsets, like test_dst_timelines.py.

Pacific/Chatham: +12:45 in winter, +13:45 in summer. On 2027-04-04 and 2022-04-03 the clock
goes back at 03:45 (+13:45) to 02:45 (+12:45), so 02:45-03:44 shows twice; on 2026-09-27 it
jumps at 02:45 (+12:45) to 03:45 (+13:45), so 02:45-03:44 never shows. Asia/Tehran, on
2021-03-22 (a Monday): at 00:00 (+03:30) the clock jumped to 01:00 (+04:30).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from sundial import Schedule
from sundial.errors import ScheduleTimingError
from sundial.timing import fire_times, next_fire_time

T = TypeVar("T")
CHATHAM = "Pacific/Chatham"


def within_seconds(seconds: float, work: Callable[[], T]) -> T:
    """``work()``, failing the test if it has not returned after ``seconds``.

    The hang of defect 1 must fail this test rather than stall the suite; the thread of a hung
    call is a daemon, left behind when the test process ends.
    """
    box: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            box.append(work())
        except BaseException as err:  # re-raised in the test's thread
            errors.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if errors:
        raise errors[0]
    assert box, f"did not return within {seconds} s"
    return box[0]


def times(expression: str, zone: str, after: str, n: int) -> list[str]:
    schedule = Schedule(cron_expression=expression, timezone=zone)
    return within_seconds(
        20,
        lambda: [
            t.isoformat() for t in fire_times(schedule, datetime.fromisoformat(after), limit=n)
        ],
    )


class TestChathamFallBackTerminates:
    # Defect 1: each of these never returned. After 03:40 (+13:45), the first pass.

    @pytest.mark.parametrize(
        "expression",
        ["* 3 * * *", "*/5 3 * * *", "* */3 * * *", "47 */3 * * *", "58 */3 */1 * *"],
    )
    def test_returns_strictly_increasing_times(self, expression: str) -> None:
        found = times(expression, CHATHAM, "2027-04-04T03:40:00", 30)
        instants = [datetime.fromisoformat(t).astimezone(UTC) for t in found]
        assert len(instants) == 30
        assert instants == sorted(set(instants))
        assert instants[0] > datetime(2027, 4, 3, 13, 55, tzinfo=UTC)  # 03:40 (+13:45)

    def test_every_minute_of_hour_3_fires_in_both_passes(self) -> None:
        # "* 3" follows real time: 03:41-03:44 in the first pass, then all of 03:00-03:59 in
        # the second (03:00-03:44 for the second time, 03:45-03:59 for the only time).
        found = times("* 3 * * *", CHATHAM, "2027-04-04T03:40:00", 64)
        assert found[:6] == [
            "2027-04-04T03:41:00+13:45",
            "2027-04-04T03:42:00+13:45",
            "2027-04-04T03:43:00+13:45",
            "2027-04-04T03:44:00+13:45",
            "2027-04-04T03:00:00+12:45",
            "2027-04-04T03:01:00+12:45",
        ]
        assert found[63] == "2027-04-04T03:59:00+12:45"

    def test_every_five_minutes_of_hour_3_continues_in_the_second_pass(self) -> None:
        assert times("*/5 3 * * *", CHATHAM, "2027-04-04T03:40:00", 3) == [
            "2027-04-04T03:00:00+12:45",
            "2027-04-04T03:05:00+12:45",
            "2027-04-04T03:10:00+12:45",
        ]

    def test_a_schedule_starting_in_the_first_pass_has_a_next_fire_time(self) -> None:
        # The registration of defect 1: start_time 03:41 is read as its first pass (+13:45).
        schedule = Schedule(
            cron_expression="*/5 3 * * *", timezone=CHATHAM, start_time=datetime(2027, 4, 4, 3, 41)
        )
        found = within_seconds(20, lambda: next_fire_time(schedule, datetime(2027, 4, 4, 3, 0)))
        assert found is not None and found.isoformat() == "2027-04-04T03:00:00+12:45"


class TestRangeWithStepStaysInTheRange:
    # Defect 2: Vixie and Debian cron read "a-b/n" as every n-th value from a to b.

    def test_hour_20_to_20_by_1_is_20_only(self) -> None:
        assert times("22 20-20/1 * * *", "UTC", "2026-06-01T00:00:00", 3) == [
            "2026-06-01T20:22:00+00:00",
            "2026-06-02T20:22:00+00:00",
            "2026-06-03T20:22:00+00:00",
        ]

    def test_friday_to_friday_by_2_is_friday_only(self) -> None:
        # 2026-06-05 is a Friday.
        assert times("0 0 * * 5-5/2", "UTC", "2026-06-01T00:00:00", 2) == [
            "2026-06-05T00:00:00+00:00",
            "2026-06-12T00:00:00+00:00",
        ]

    def test_single_value_with_step_still_runs_to_the_maximum(self) -> None:
        # "a/n" (cronie's shorthand, no range) is a-max/n, as sundial has always read it.
        assert times("50/5 23 * * *", "UTC", "2026-06-01T00:00:00", 3) == [
            "2026-06-01T23:50:00+00:00",
            "2026-06-01T23:55:00+00:00",
            "2026-06-02T23:50:00+00:00",
        ]


class TestRealTimesAreNotMissed:
    # Defect 3: each job's minute field starts with "*", so it follows real time and fires
    # whenever the wall clock shows a matching time.

    def test_chatham_spring_forward_every_20_minutes_of_even_hours(self) -> None:
        # 04:00, 04:20 and 04:40 (+13:45) all exist: the jump ended at 03:45.
        assert times("*/20 */2 * * *", CHATHAM, "2026-09-27T03:50:00", 4) == [
            "2026-09-27T04:00:00+13:45",
            "2026-09-27T04:20:00+13:45",
            "2026-09-27T04:40:00+13:45",
            "2026-09-27T06:00:00+13:45",
        ]

    def test_tehran_monday_hour_1_right_after_the_midnight_jump(self) -> None:
        # 00:00-00:59 never showed on 2021-03-22; 01:00-01:55 did.
        assert times("*/11 1 * * 1", "Asia/Tehran", "2021-03-21T03:32:00", 7) == [
            "2021-03-22T01:00:00+04:30",
            "2021-03-22T01:11:00+04:30",
            "2021-03-22T01:22:00+04:30",
            "2021-03-22T01:33:00+04:30",
            "2021-03-22T01:44:00+04:30",
            "2021-03-22T01:55:00+04:30",
            "2021-03-29T01:00:00+04:30",
        ]

    def test_chatham_fall_back_every_minute_of_hour_2_fires_in_the_second_pass(self) -> None:
        # After 02:58 (+13:45): 02:59 (+13:45), then the second pass shows 02:45-02:59 again.
        found = times("* 2 * * *", CHATHAM, "2022-04-03T02:58:00", 17)
        assert found == [
            "2022-04-03T02:59:00+13:45",
            *(f"2022-04-03T02:{m}:00+12:45" for m in range(45, 60)),
            "2022-04-04T02:00:00+12:45",
        ]

    def test_a_fixed_time_in_the_repeat_still_fires_once(self) -> None:
        # The same night, a fixed-time job: its first pass only.
        assert times("50 2 * * *", CHATHAM, "2022-04-03T00:00:00", 2) == [
            "2022-04-03T02:50:00+13:45",
            "2022-04-04T02:50:00+12:45",
        ]

    def test_a_fixed_time_in_the_gap_fires_once_at_the_jump(self) -> None:
        # 03:00 (+12:45) never shows on 2026-09-27: it fires at the jump, 03:45 (+13:45).
        assert times("0 3 * * *", CHATHAM, "2026-09-26T12:00:00", 2) == [
            "2026-09-27T03:45:00+13:45",
            "2026-09-28T03:00:00+13:45",
        ]


def test_a_defect_in_the_core_raises_instead_of_hanging(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake defect: every wall time is made to give no fire time, which the rules never do.
    The bound on candidates per fire time turns it into an error naming the cron and zone."""
    import sundial.timing.cron as cron_module

    monkeypatch.setattr(cron_module, "_instants", lambda *args: [])
    monkeypatch.setattr(cron_module, "MAX_CANDIDATES_PER_FIRE", 1000)
    schedule = Schedule(cron_expression="* 3 * * *", timezone=CHATHAM)
    with pytest.raises(ScheduleTimingError, match=r"'\* 3 \* \* \*' in Pacific/Chatham"):
        within_seconds(20, lambda: next_fire_time(schedule, datetime(2027, 4, 4, 3, 40)))
