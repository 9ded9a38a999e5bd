"""A store with real runs and schedules, made by running and registering a real pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

FLOW = '''
from typing import Annotated
from sundial import pipeline, step

@step
def greet(n: int = 2) -> Annotated[dict, "hello"]:
    print("greeting", n)
    return {"hello": "world", "n": n}

@step
def explode(hello: dict, boom: bool = False) -> int:
    if boom:
        raise ValueError("the step went boom")
    return hello["n"]

@pipeline(enable_cache=False)
def flow(n: int = 2, boom: bool = False):
    explode(greet(n=n), boom=boom)
'''

TOKEN = "test-token-0123456789"
BASE = "http://127.0.0.1:8765"


@dataclass
class World:
    home: Path
    flow_file: Path
    ok_run: str
    failed_run: str


def make_world(tmp_path: Path) -> World:
    """Two runs (one failed), an hourly schedule that started 5 hours ago and a nightly cron
    schedule; the caller has pointed SUNDIAL_HOME / SUNDIAL_DATABASE_URL at the store."""
    from sundial import Schedule
    from sundial.engine.loader import load_pipeline
    from sundial.errors import RunFailedError

    flow_file = tmp_path / "flow.py"
    flow_file.write_text(FLOW)
    flow = load_pipeline(f"{flow_file}:flow")
    ok = flow(n=3)
    with pytest.raises(RunFailedError) as failed:
        flow(boom=True)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    flow.run(schedule=Schedule(name="hourly", interval_second=3600, start_time=start,
                               catchup=False), n=4)
    flow.run(schedule=Schedule(name="nightly", cron_expression="30 2 * * *",
                               timezone="Europe/Paris"))
    return World(home=tmp_path / "home", flow_file=flow_file, ok_run=ok.id,
                 failed_run=failed.value.run_id)


AUTH = {"Authorization": f"Bearer {TOKEN}"}
