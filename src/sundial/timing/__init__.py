"""When schedules fire: pure functions from a schedule's definition to its fire times.

No I/O and no clock: every function takes the instant to count from. The scheduler asks
:func:`fire_times` for the ticks it missed and :func:`next_fire_time` for when to wake up.
"""

from sundial.timing.fire import TimingSpec as TimingSpec
from sundial.timing.fire import fire_times as fire_times
from sundial.timing.fire import next_fire_time as next_fire_time

__all__ = ["TimingSpec", "fire_times", "next_fire_time"]
