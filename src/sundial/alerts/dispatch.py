"""Alerts leave through a queue and one background thread, so the scheduler never waits for
a slow or dead receiver: :meth:`AlertDispatcher.send` only enqueues. Each channel is tried
``retries`` more times with exponential back-off; what still fails is logged, never raised.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import TYPE_CHECKING

from sundial.alerts.base import Alert, Channel
from sundial.alerts.webhook import PermanentError

if TYPE_CHECKING:
    from sundial.config import Settings

log = logging.getLogger("sundial.alerts")

QUEUE_SIZE = 1000  # beyond this, alerts are dropped (and logged): memory stays bounded
_STOP = object()


class AlertDispatcher:
    def __init__(self, channels: list[Channel], *, retries: int = 3,
                 backoff: float = 1.0) -> None:
        self.channels = channels
        self.retries = retries
        self.backoff = backoff
        self._queue: queue.Queue[object] = queue.Queue(QUEUE_SIZE)
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.delivered = 0  # counters, for `sundial scheduler` status lines and tests
        self.failed = 0

    def send(self, alert: Alert) -> None:
        """Queue ``alert`` for every channel; returns at once."""
        if not self.channels:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="sundial-alerts",
                                                daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            log.error("alert dropped, %d are waiting already: %s", QUEUE_SIZE, alert.summary)

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued for up to ``timeout`` seconds, then stop (back-off waits are
        cut short: a stopping scheduler does not linger for a dead receiver)."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._closing.set()
        self._thread.join(1.0)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, Alert)
            for channel in self.channels:
                self._deliver(channel, item)

    def _deliver(self, channel: Channel, alert: Alert) -> None:
        for attempt in range(self.retries + 1):
            started = time.monotonic()
            try:
                channel.send(alert)
            except Exception as err:  # any failure of a channel is logged, never raised
                last = attempt == self.retries or isinstance(err, PermanentError)
                if last or self._closing.is_set():
                    self.failed += 1
                    log.error("alert to %s failed after %d attempt(s), giving up: %s (%s)",
                              channel.name, attempt + 1, _reason(err), alert.summary)
                    return
                delay = self.backoff * 2 ** attempt
                log.warning("alert to %s failed (%s) after %.1fs; retrying in %.1fs",
                            channel.name, _reason(err), time.monotonic() - started, delay)
                if self._closing.wait(delay):
                    continue  # stopping: one last try without waiting
            else:
                self.delivered += 1
                log.info("alert sent to %s: %s", channel.name, alert.summary)
                return


def _reason(err: Exception) -> str:
    if isinstance(err, PermanentError):
        return f"{err} (not retried)"
    text = str(err) or type(err).__name__
    return f"{type(err).__name__}: {text}" if type(err).__name__ not in text else text


def from_settings(settings: Settings) -> AlertDispatcher | None:
    """The dispatcher for the channels configured in ``settings``; None when there are none."""
    channels: list[Channel] = []
    if settings.alert_webhook_url:
        from sundial.alerts.webhook import WebhookChannel

        channels.append(WebhookChannel(settings.alert_webhook_url,
                                       timeout=settings.alert_timeout))
    if settings.alert_email_to:
        from sundial.alerts.email import EmailChannel

        channels.append(EmailChannel(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.alert_email_from,
            to=list(settings.alert_email_to), user=settings.smtp_user,
            password=settings.smtp_password, starttls=settings.smtp_starttls,
            timeout=settings.alert_timeout))
    if not channels:
        return None
    return AlertDispatcher(channels, retries=settings.alert_retries,
                           backoff=settings.alert_backoff)
