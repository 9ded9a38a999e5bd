"""``sundial up``: sundial's services on this machine, in the foreground, until SIGTERM.

The scheduler always; the dashboard too when the ``ui`` extra is installed and this sundial
has one. SIGTERM or Ctrl-C stops both cleanly: no new claims, leases released, queued alerts
delivered, the dashboard's connections closed.
"""

from __future__ import annotations

import importlib.util
from typing import Annotated

import typer

from sundial.cli.scheduler import Lateness, LogFormat, Verbose, serve


def dashboard_available() -> bool:
    """The dashboard can run: sundial has one and the ``ui`` extra (FastAPI, uvicorn) is in."""
    return all(importlib.util.find_spec(m) is not None
               for m in ("sundial.server", "fastapi", "uvicorn"))


def up(
    verbose: Verbose = False,
    log_format: LogFormat = "text",
    lateness: Lateness = None,
    host: Annotated[str, typer.Option(help="the dashboard's address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the dashboard's port")] = 8265,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="the scheduler only")] = False,
) -> None:
    """Start sundial's services here in the foreground: the scheduler, and the dashboard
    when it is installed (`pip install 'sundial[ui]'`). SIGTERM stops them cleanly."""
    import logging

    log = logging.getLogger("sundial.up")
    if no_ui or not dashboard_available():
        if not no_ui:
            # Said once at start: the scheduler runs regardless.
            typer.echo("sundial up: the dashboard is not installed; running the scheduler "
                       "only (add it with `pip install 'sundial[ui]'`).", err=True)
        serve(verbose=verbose, log_format=log_format, lateness=lateness)
        return
    from sundial.cli.up_ui import serve_with_dashboard

    log.debug("dashboard on http://%s:%d", host, port)
    serve_with_dashboard(host=host, port=port, verbose=verbose, log_format=log_format,
                         lateness=lateness)
