"""What `make demo` runs, on the embedded defaults (SQLite, local files, local scheduler):

1. the example pipeline, run now;
2. the same pipeline on an interval schedule whose start lies in the past, with catch-up and an
   end about 20 seconds ahead, fired by the scheduler until it is idle; then its description.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from training import training

from sundial import Schedule
from sundial.cli.output import console
from sundial.cli.runs import print_run
from sundial.cli.schedule_lifecycle import describe
from sundial.config import Settings
from sundial.scheduler.service import SchedulerService
from sundial.store.store import Store


def main() -> None:
    settings = Settings.from_env()
    console.rule("1. Run the pipeline now")
    console.print(f"sundial home: {settings.home}  (database {settings.database_url})")
    run = training(lr=0.2)
    print_run(run.record)
    console.print(f"Load an output back: Client().get_run('{run.id[:8]}')"
                  ".steps['train'].output.load()")

    console.rule("2. Schedule it: every 10 s from 30 s ago, catch-up on, ending in 20 s")
    now = datetime.now()
    info = training.with_options(schedule=Schedule(
        start_time=now - timedelta(seconds=30), end_time=now + timedelta(seconds=20),
        interval_second=10, catchup=True))(lr=0.2)
    console.print(f"Registered schedule [bold]{info.name}[/]; running the scheduler until "
                  "it is idle (`sundial scheduler --exit-when-idle`)...")
    logging.basicConfig(level=logging.INFO, format="  scheduler: %(message)s")
    SchedulerService(Store(settings.database_url), log_dir=settings.home / "logs").serve(
        exit_when_idle=True)

    console.rule(f"3. sundial schedule describe {info.name}")
    describe(info.name)


if __name__ == "__main__":
    main()
