"""``sundial up``: sundial's services on this machine, in the foreground, until SIGTERM.

The scheduler always, in the main thread (it owns SIGTERM/SIGINT); the dashboard beside it in
a thread when the ``ui`` extra is installed. SIGTERM or Ctrl-C stops both cleanly: no new
claims, leases released, queued alerts delivered, then the dashboard's server shut down.
"""

from __future__ import annotations

import importlib.util
import threading
from typing import Annotated

import typer

from sundial.cli.scheduler import Lateness, LogFormat, Verbose, serve


def dashboard_available() -> bool:
    """The dashboard can run: the ``ui`` extra (FastAPI, uvicorn, Jinja2) is installed."""
    return all(importlib.util.find_spec(m) is not None
               for m in ("sundial.server", "fastapi", "uvicorn", "jinja2"))


def up(
    verbose: Verbose = False,
    log_format: LogFormat = "text",
    lateness: Lateness = None,
    host: Annotated[str, typer.Option(help="the dashboard's address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the dashboard's port (0: any free one)")] = 8765,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="the scheduler only")] = False,
) -> None:
    # "\\[" in the help: Rich reads a bare "[ui]" as markup and drops it.
    """Start sundial's services here in the foreground: the scheduler, and the dashboard
    when it is installed (`pip install 'sundial\\[ui]'`). SIGTERM stops them cleanly."""
    if no_ui or not dashboard_available():
        if not no_ui:
            typer.echo("sundial up: the dashboard is not installed; running the scheduler "
                       "only (add it with `pip install 'sundial[ui]'`).", err=True)
        serve(verbose=verbose, log_format=log_format, lateness=lateness)
        return
    from sundial.cli.ui import announcer
    from sundial.config import Settings
    from sundial.server import serve as serve_dashboard
    from sundial.server.run import bind
    from sundial.server.security import load_token

    settings = Settings.from_env()
    token, generated = load_token(settings)
    bind(host, port).close()  # a taken port is refused before the scheduler starts
    stop = threading.Event()
    failed: list[BaseException] = []

    def dashboard() -> None:
        try:
            serve_dashboard(host, port, token=token, stop=stop,
                            on_ready=announcer(settings, host, token, generated))
        except BaseException as err:  # reported when the scheduler stops
            failed.append(err)

    thread = threading.Thread(target=dashboard, name="sundial-ui", daemon=True)
    thread.start()
    try:
        serve(verbose=verbose, log_format=log_format, lateness=lateness)
    finally:
        stop.set()
        thread.join(10)
    if failed:
        raise failed[0]
