"""``sundial scheduler`` (the service in the foreground) and ``sundial up``."""

from __future__ import annotations

import logging
from typing import Annotated

import typer


def _serve(exit_when_idle: bool, heartbeat_timeout: float, verbose: bool) -> None:
    from datetime import timedelta

    from rich.logging import RichHandler

    from sundial.config import Settings
    from sundial.scheduler.service import SchedulerService
    from sundial.store.store import Store

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s",
                        handlers=[RichHandler(show_path=False, rich_tracebacks=False)])
    settings = Settings.from_env()
    service = SchedulerService(Store(settings.database_url),
                               heartbeat_timeout=timedelta(seconds=heartbeat_timeout),
                               log_dir=settings.home / "logs")
    service.serve(exit_when_idle=exit_when_idle)


def scheduler(
    exit_when_idle: Annotated[bool, typer.Option(
        "--exit-when-idle", help="exit once no schedule is active and no run is in flight")
    ] = False,
    heartbeat_timeout: Annotated[float, typer.Option(
        help="seconds without a heartbeat before a run is failed as 'worker lost'")] = 30.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the scheduler in the foreground, logging every decision."""
    _serve(exit_when_idle, heartbeat_timeout, verbose)


def up(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """Start sundial's services on this machine (the scheduler) in the foreground."""
    _serve(False, 30.0, verbose)
