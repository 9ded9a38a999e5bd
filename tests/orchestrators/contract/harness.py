"""How the shared behavioural suite drives one backend (in the manner of huey's storage tests).

Every registered backend has a module ``backends/<name>.py`` with ``HARNESS = <Harness
subclass>``; ``test_suite.py`` runs every test on every harness, and fails when a backend in
``registry.BACKENDS`` has none. A new backend joins by adding that one file: it says how to set
the platform up (a real one, or a loopback double that the test's docstring names), and how
the platform runs a submitted run to its end.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pytest

from sundial import Schedule
from sundial.orchestrators.base import Orchestrator, RunState
from sundial.orchestrators.registry import get_orchestrator
from sundial.store.store import Store

#: The suite's pipeline: ``load`` → ``double`` → ``report``, with a step that fails on demand.
FLOW = '''
from sundial import pipeline, step

@step(enable_cache=False)
def load(n: int = 3) -> int:
    return n

@step(enable_cache=False)
def double(x: int, fail: bool = False) -> int:
    if fail:
        raise RuntimeError("double failed on purpose")
    return 2 * x

@step(enable_cache=False)
def report(y: int) -> int:
    return y + 1

@pipeline(enable_cache=False)
def contract_flow(n: int = 3, fail: bool = False):
    report(double(load(n=n), fail=fail))
'''


class Harness:
    """One backend under the suite. Subclasses set ``name`` and override what differs."""

    name: ClassVar[str]
    #: Whether runs end inside ``submit`` (local) or on the platform afterwards.
    synchronous: ClassVar[bool] = False
    #: How long a run may take on the platform before the suite gives up.
    timeout: ClassVar[float] = 60.0

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    # -- set-up, once per backend (module) ----------------------------------------------------
    @contextmanager
    def running(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        """Start what the platform needs (a double, a real service) for the whole module;
        environment changes go through ``monkeypatch``."""
        yield

    def options(self) -> dict[str, Any]:
        """Deploy options (the backend's settings) the suite passes."""
        return {}

    def backend(self, store: Store) -> Orchestrator:
        return get_orchestrator(self.name, store, self.options())

    # -- what a platform does ------------------------------------------------------------------
    def finish(self, backend: Orchestrator, ref: str) -> RunState:
        """Wait until the platform has run the submitted run ``ref`` to its end; returns
        what ``run_status`` then says."""
        deadline = time.monotonic() + self.timeout
        while True:
            state = backend.run_status(ref)
            if state.finished or time.monotonic() > deadline:
                return state
            time.sleep(1.0)

    def sync(self, backend: Orchestrator) -> None:
        """Make the platform take in schedules just created (e.g. parse a DAG folder now)."""

    def native_schedule(self) -> Schedule:
        """A schedule this backend deploys natively (for backends with native schedules)."""
        return Schedule(cron_expression="0 6 * * *", timezone="UTC", catchup=True)


def write_flow(folder: Path) -> Path:
    path = folder / "contract_flow.py"
    path.write_text(FLOW)
    return path


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
