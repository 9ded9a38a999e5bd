"""Receivers on 127.0.0.1 for alert tests: an HTTP webhook (that can fail or hang) and a
real SMTP server (aiosmtpd). Bounded: each test gets its own, stopped when it ends."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Webhook:
    """What the loopback webhook received; ``fail_first`` answers 500 that many times,
    ``status`` answers every request with that code, ``hang`` blocks until released."""

    url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    fail_first: int = 0
    status: int = 200
    hang: bool = False
    received: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        deadline = threading.Event()
        for _ in range(int(timeout * 20)):
            if len(self.bodies) >= count:
                return self.bodies
            deadline.wait(0.05)
        raise AssertionError(f"webhook got {len(self.bodies)} of {count} alerts")


@contextmanager
def webhook_server(**behaviour: Any) -> Iterator[Webhook]:
    hook = Webhook(**behaviour)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hook.attempts += 1
            hook.received.set()
            if hook.hang:
                hook.release.wait(30)
                return  # the client has given up: no answer
            if hook.attempts <= hook.fail_first or hook.status >= 300:
                self.send_response(500 if hook.attempts <= hook.fail_first else hook.status)
                self.end_headers()
                return
            hook.bodies.append(json.loads(body))
            self.send_response(hook.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/sundial?token=secret"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        hook.release.set()
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Message]:
        pause = threading.Event()
        for _ in range(int(timeout * 20)):
            if len(self.messages) >= count:
                return self.messages
            pause.wait(0.05)
        raise AssertionError(f"SMTP server got {len(self.messages)} of {count} messages")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """aiosmtpd, a real SMTP server, on loopback; messages land in ``Mailbox.messages``."""
    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            msg = message_from_bytes(envelope.original_content)
            msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            box.messages.append(msg)
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname=box.host, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
