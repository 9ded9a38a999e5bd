"""``sundial scheduler`` (the service in the foreground), ``sundial scheduler status`` and
``sundial up``."""

from __future__ import annotations

import gc
import threading
from typing import Annotated

import typer

from sundial.cli.output import console, print_json

scheduler_app = typer.Typer(
    help="Run the scheduler in the foreground (logging every tick and every run's end), or "
         "see which replicas are alive.",
    invoke_without_command=True)

LogFormat = Annotated[str, typer.Option(
    "--log-format", metavar="text|json",
    help="text (lines) or json (one object per line, for log shippers)")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="also log each run's steps")]
Lateness = Annotated[str | None, typer.Option(
    "--lateness", metavar="DURATION",
    help="report a schedule whose tick is overdue by more than this, e.g. 5m "
         "(default: SUNDIAL_ALERT_LATENESS, else 5m)")]


def serve(*, exit_when_idle: bool = False, heartbeat_timeout: float = 30.0,
          verbose: bool = False, log_format: str = "text", lateness: str | None = None,
          stop: threading.Event | None = None) -> None:
    """Run the scheduler with the configured alerts until SIGTERM/SIGINT (or ``stop``)."""
    from datetime import timedelta

    from sundial.alerts import from_settings
    from sundial.config import Settings
    from sundial.durations import parse_duration
    from sundial.scheduler.logsetup import setup_logging
    from sundial.scheduler.service import SchedulerService
    from sundial.store.store import Store

    setup_logging(verbose=verbose, log_format=log_format)
    settings = Settings.from_env()
    late = parse_duration(lateness, what="--lateness") if lateness is not None \
        else timedelta(seconds=settings.alert_lateness)
    service = SchedulerService(Store(settings.database_url),
                               heartbeat_timeout=timedelta(seconds=heartbeat_timeout),
                               log_dir=settings.home / "logs", alerts=from_settings(settings),
                               lateness=late)
    # sundial owns this process (see sundial.lifelong): what start-up made lives until it
    # exits, and a full collection walking it all again paused a pass for 70-100 ms (once in
    # 40 s of 300 fires a second); the collector now walks only what is made from here on.
    gc.collect()
    gc.freeze()
    service.serve(exit_when_idle=exit_when_idle, stop=stop,
                  install_signals=threading.current_thread() is threading.main_thread())


@scheduler_app.callback()
def scheduler(
    ctx: typer.Context,
    exit_when_idle: Annotated[bool, typer.Option(
        "--exit-when-idle", help="exit once no schedule is active and no run is in flight")
    ] = False,
    heartbeat_timeout: Annotated[float, typer.Option(
        metavar="SECONDS",
        help="seconds without a heartbeat before a run is failed as 'worker lost'")] = 30.0,
    verbose: Verbose = False,
    log_format: LogFormat = "text",
    lateness: Lateness = None,
) -> None:
    """Run the scheduler in the foreground: every tick, every run's end (status, duration,
    failing step and error), late schedules and silent replicas are logged on stderr."""
    if ctx.invoked_subcommand is None:
        serve(exit_when_idle=exit_when_idle, heartbeat_timeout=heartbeat_timeout,
              verbose=verbose, log_format=log_format, lateness=lateness)


@scheduler_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The scheduler replicas of this store: which are alive, since when, last heartbeat.
    Exits 1 when none is alive."""
    from datetime import UTC, datetime

    from rich.table import Table

    from sundial.client import Client
    from sundial.scheduler.watch import STALE
    from sundial.store.replica_store import ReplicaStore

    store = Client().store
    now = datetime.now(UTC)
    data = ReplicaStore(store).status(now, STALE)
    rows, alive = data["replicas"], data["alive"]
    if as_json:
        print_json(data)
    else:
        table = Table("replica", "state", "started (UTC)", "last heartbeat (UTC)")
        for r in rows:
            colour = {"alive": "green", "silent": "red"}.get(str(r["state"]), "yellow")
            table.add_row(str(r["replica"]), f"[{colour}]{r['state']}[/]",
                          str(r["started_at"])[:19].replace("T", " "),
                          str(r["heartbeat_at"])[:19].replace("T", " "))
        if rows:
            console.print(table)
        console.print(f"{alive} scheduler replica(s) alive for {store.safe_url}." if alive else
                      f"No scheduler is alive for {store.safe_url}: schedules will not fire. "
                      "Start one with `sundial scheduler` or `sundial up`.")
    if not alive:
        raise typer.Exit(1)
