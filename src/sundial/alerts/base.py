"""What an alert is, and what a channel that delivers one must do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

# Kinds of alert.
RUN_FAILED = "run_failed"
LATE = "schedule_late"
REPLICA_SILENT = "replica_silent"


@dataclass(frozen=True)
class Alert:
    """One event worth telling someone about.

    :param kind: ``run_failed``, ``schedule_late`` or ``replica_silent``.
    :param summary: one line a person reads first (the e-mail subject, the chat message).
    :param data: the facts, as JSON values (run id, schedule, nominal time, error...).
    """

    kind: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The JSON body of the webhook: ``{"source", "kind", "summary", "text", ...data}``.
        ``text`` repeats the summary, which Slack- and Mattermost-style hooks display."""
        return {"source": "sundial", "kind": self.kind, "summary": self.summary,
                "text": self.summary, **self.data}


class Channel(Protocol):
    """Delivers an alert once; raises on failure (the dispatcher retries with back-off)."""

    name: str

    def send(self, alert: Alert) -> None: ...
