"""A generic webhook: the alert as a JSON POST to a URL (Slack, Mattermost, a pager, n8n...)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from sundial.alerts.base import Alert


class PermanentError(Exception):
    """The receiver refused the alert (a 4xx): sending it again would not help."""


class WebhookChannel:
    """POSTs :meth:`Alert.payload` as JSON; any 2xx is delivered.

    Each attempt is bounded by ``timeout`` seconds, so a receiver that hangs costs one timeout
    per attempt on the dispatcher's thread and never holds up the scheduler.
    """

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        # Logged as host only: services put their token in the path (Slack) or the query.
        parts = urllib.parse.urlsplit(url)
        hidden = "/***" if parts.path.strip("/") or parts.query else ""
        self.name = f"webhook {parts.scheme}://{parts.netloc}{hidden}"

    def send(self, alert: Alert) -> None:
        body = json.dumps(alert.payload(), default=str).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "sundial-alerts"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read(65536)
        except urllib.error.HTTPError as err:
            # 408 and 429 and 5xx are worth another try; other 4xx will fail the same way.
            if 400 <= err.code < 500 and err.code not in (408, 429):
                raise PermanentError(f"HTTP {err.code} {err.reason}") from None
            raise
