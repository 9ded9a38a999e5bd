"""``local``: runs execute in the calling process; schedules are sundial-mode only."""

from __future__ import annotations

from contract.harness import Harness


class LocalHarness(Harness):
    name = "local"
    synchronous = True


HARNESS = LocalHarness
