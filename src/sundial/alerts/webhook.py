"""A generic webhook: the alert as a JSON POST to a URL (Slack, Mattermost, a pager, n8n...)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from sundial.alerts.base import Alert


def masked_url(url: str) -> str:
    """``url`` as logs and `sundial config show` may print it: scheme, host and port only.
    Services put their token in the path (Slack) or the query, some a password before the
    host (``user:password@``)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    hidden = "/***" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{hidden}"


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
        self.name = f"webhook {masked_url(url)}"

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
