"""Wake-ups: a change to a schedule (or a finished run) wakes sleeping schedulers at once.

Each scheduler binds a Unix datagram socket in a folder named after the database it serves;
clients send one byte to every socket there. On PostgreSQL, which schedulers and clients on
other machines share, a wake-up is also a NOTIFY that every scheduler of the store LISTENs for
(:mod:`sundial.store.pg_notify`). This is best effort: a scheduler that misses a wake-up
still wakes at its next due time, so nothing depends on it but latency.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import tempfile
import threading
from pathlib import Path

from sundial.store import pg_notify


def wake_dir(database_url: str) -> Path:
    # A short path (socket paths are limited to ~108 bytes), one per database.
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"sundial-wake-{digest}"


def notify_schedulers(database_url: str) -> int:
    """Send a wake-up to every scheduler of this database on this machine, and on PostgreSQL
    to those elsewhere too; returns how many sockets of this machine were sent one."""
    pg_notify.notify(database_url)
    folder = wake_dir(database_url)
    if not folder.is_dir():
        return 0
    sent = 0
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        for path in folder.glob("*.sock"):
            try:
                sock.sendto(b"w", str(path))
                sent += 1
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(OSError):
                    path.unlink()  # a scheduler that died without cleaning up
            except OSError:  # a full buffer means a wake-up is pending anyway
                sent += 1
    return sent


class WakeListener:
    """Sets ``event`` whenever a wake-up arrives."""

    def __init__(self, database_url: str, event: threading.Event) -> None:
        self._pg = pg_notify.listener(database_url, event)
        folder = wake_dir(database_url)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{os.getpid()}-{threading.get_ident() % 10000}.sock"
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(self.path))
        self._event = event
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="sundial-wake", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._closed:
            try:
                self._sock.recv(64)
            except OSError:
                return
            self._event.set()

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
