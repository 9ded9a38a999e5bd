"""``sundial ui``: the dashboard and REST API in the foreground."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sundial.config import Settings


def ui(
    host: Annotated[str, typer.Option(
        help="address to listen on; anything but loopback makes reads need the token too")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on (0: any free one)")] = 8765,
) -> None:
    """Serve the dashboard and the REST API (/api/v1) until Ctrl-C."""
    try:
        from sundial.server import serve
        from sundial.server.security import load_token
    except ImportError as err:
        from sundial.errors import BackendNotInstalledError

        raise BackendNotInstalledError(
            f"the dashboard needs the 'ui' extra ({err.name} is missing)",
            "pip install 'sundial[ui]'") from None
    from sundial.config import Settings

    settings = Settings.from_env()
    token, generated = load_token(settings)
    ready = announcer(settings, host, token, generated)
    serve(host, port, token=token, on_ready=ready, log_level="warning")


def announcer(settings: Settings, host: str, token: str, generated: bool
              ) -> Callable[[str], None]:
    """What `sundial ui` and `sundial up` print once the dashboard listens (on stderr)."""
    from sundial.cli.output import err_console
    from sundial.server.security import TOKEN_FILE, is_loopback

    def say(text: str, markup: bool = True) -> None:
        err_console.print(text, markup=markup, soft_wrap=True, highlight=False)

    def ready(url: str) -> None:
        say(f"sundial dashboard on [bold]{url}/[/]  (REST API: {url}/api/v1, "
            f"endpoints: {url}/api)")
        if generated:
            say(f"Generated a write token in {settings.home / TOKEN_FILE} (mode 0600).")
        if settings.ui_token:
            say(f"Changes need the token in SUNDIAL_UI_TOKEN: sign in at {url}/login")
        else:
            # The file's owner is the one reading this terminal: give the link that signs in.
            say(f"Sign in to make changes: {url}/login?token={token}", markup=False)
        if not is_loopback(host):
            say(f"[yellow]Listening on {host}: every request needs the token.[/]")

    return ready
