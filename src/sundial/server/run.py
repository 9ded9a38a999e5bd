"""Running the dashboard: :func:`serve` blocks in the calling thread (the main one, or a thread
of ``sundial up`` beside the scheduler) until ``stop`` is set or the process is interrupted."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from sundial.errors import SundialError
from sundial.server.app import create_app

if TYPE_CHECKING:
    from sundial.store.store import Store

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; a clear error when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as err:
        sock.close()
        raise SundialError(f"cannot listen on {host}:{port}: {err.strerror}",
                           "pick another port with --port (or stop what uses it)") from None
    sock.listen(128)
    return sock


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, except that SIGTERM/SIGINT stop it and the process then exits
        normally: uvicorn re-raises the signal after its clean shutdown, which makes a service
        stopped on purpose look killed (exit -15)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            before = {sig: signal.signal(sig, self.handle_exit)
                      for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in before.items():
                    signal.signal(sig, handler)

    return Server


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, store: Store | None = None,
          token: str | None = None, stop: threading.Event | None = None,
          on_ready: Callable[[str], None] | None = None, log_level: str = "warning") -> None:
    """Serve the API and dashboard on ``host:port`` until ``stop`` is set (or, in the main
    thread, SIGINT/SIGTERM).

    :param store: the store to show (default: the one the environment names).
    :param token: the write token (default: ``SUNDIAL_UI_TOKEN`` or the generated one).
    :param stop: set it from another thread to shut the server down cleanly.
    :param on_ready: called with the base URL once the socket listens (``port=0`` picks a free
        port; the URL has the real one).
    :raises SundialError: the port cannot be bound.
    """
    import uvicorn

    app = create_app(store, token=token, host=host)
    sock = bind(host, port)
    real_port = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off",
                            server_header=False)
    server = _server_class()(config)

    def _watch() -> None:
        # uvicorn installs signal handlers only in the main thread; elsewhere the caller
        # stops the server through ``stop``.
        while not server.started and not server.should_exit:
            if stop is not None and stop.wait(0.02):
                break
            if stop is None:
                threading.Event().wait(0.02)
        if server.started and on_ready is not None:
            on_ready(f"http://{shown}:{real_port}")
        if stop is not None:
            stop.wait()
            server.should_exit = True

    threading.Thread(target=_watch, name="sundial-ui-watch", daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
