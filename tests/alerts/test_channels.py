"""Alert channels against real receivers on loopback: a webhook that answers, fails, refuses
or hangs, and a real SMTP server. The dispatcher's send() never waits for any of them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from receivers import smtp_server, webhook_server
from sundial.alerts import Alert, AlertDispatcher
from sundial.alerts.email import EmailChannel
from sundial.alerts.webhook import WebhookChannel

ALERT = Alert("run_failed", "run 1a2b3c4d of schedule nightly: failed at step 'train'",
              {"schedule": "nightly", "failed_step": "train", "error": "ValueError: nan"})


def test_webhook_posts_the_alert_as_json() -> None:
    with webhook_server() as hook:
        alerts = AlertDispatcher([WebhookChannel(hook.url)], retries=0)
        alerts.send(ALERT)
        alerts.close()
        assert hook.bodies == [{"source": "sundial", "kind": "run_failed",
                                "summary": ALERT.summary, "text": ALERT.summary,
                                "schedule": "nightly", "failed_step": "train",
                                "error": "ValueError: nan"}]
        assert alerts.delivered == 1


def test_a_failing_webhook_is_retried_with_back_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "sundial.alerts")
    with webhook_server(fail_first=2) as hook:
        alerts = AlertDispatcher([WebhookChannel(hook.url)], retries=3, backoff=0.01)
        alerts.send(ALERT)
        alerts.close(timeout=30)
        assert hook.attempts == 3 and len(hook.bodies) == 1
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 2
    assert "retrying in 0.0s" in retries[0] or "retrying in 0.01" in retries[0]
    # The URL's path and query (where services put a token) never reach the log.
    assert "secret" not in caplog.text and "hooks/sundial" not in caplog.text
    assert "HTTP Error 500" in caplog.text


def test_a_refusing_webhook_is_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    with webhook_server(status=404) as hook:
        alerts = AlertDispatcher([WebhookChannel(hook.url)], retries=3, backoff=0.01)
        alerts.send(ALERT)
        alerts.close(timeout=30)
        assert hook.attempts == 1
    assert alerts.failed == 1 and "giving up: HTTP 404 Not Found (not retried)" in caplog.text


def test_a_hanging_webhook_never_blocks_the_sender(caplog: pytest.LogCaptureFixture) -> None:
    with webhook_server(hang=True) as hook:
        alerts = AlertDispatcher([WebhookChannel(hook.url, timeout=0.5)], retries=1,
                                 backoff=0.01)
        alerts.send(ALERT)
        # send() has returned although the receiver holds the request and has not answered.
        assert hook.received.wait(30) and not hook.release.is_set()
        alerts.send(ALERT)  # and the next one queues behind it, still without waiting
        alerts.close(timeout=30)
        assert alerts.failed == 2 and alerts.delivered == 0
    assert "timed out" in caplog.text


def test_email_through_a_real_smtp_server() -> None:
    with smtp_server() as box:
        channel = EmailChannel(host=box.host, port=box.port, sender="sundial@example.org",
                               to=["oncall@example.org", "ml@example.org"], timeout=10)
        alerts = AlertDispatcher([channel], retries=0)
        alerts.send(ALERT)
        alerts.close(timeout=30)
        (msg,) = box.wait_for(1)
    assert msg["Subject"] == f"[sundial] {ALERT.summary}"
    assert msg["From"] == "sundial@example.org"
    assert msg["X-Envelope-To"] == "oncall@example.org, ml@example.org"
    body = msg.get_payload(decode=True).decode()
    assert "failed_step: train" in body and "error: ValueError: nan" in body


def test_no_smtp_server_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    from receivers import free_port

    channel = EmailChannel(host="127.0.0.1", port=free_port(), sender="s@example.org",
                           to=["oncall@example.org"], timeout=5)
    alerts = AlertDispatcher([channel], retries=1, backoff=0.01)
    alerts.send(ALERT)
    alerts.close(timeout=30)
    assert alerts.failed == 1 and "Connection refused" in caplog.text


def test_alert_settings_from_the_config_file_and_the_environment(
        sqlite_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$SUNDIAL_HOME/config.toml configures the alerts (the environment wins), and
    `sundial config show` lists them with their source, secrets masked."""
    import json

    from sundial.alerts import from_settings
    from sundial.config import Settings
    from usercli import sundial

    sqlite_env.mkdir(parents=True, exist_ok=True)
    (sqlite_env / "config.toml").write_text(
        'alert_webhook_url = "https://hooks.example.com/services/T0/B0/secret-token"\n'
        'alert_email_to = ["oncall@example.org", "ml@example.org"]\n'
        'smtp_password = "hunter2"\nalert_lateness = "10m"\n')
    monkeypatch.setenv("SUNDIAL_SMTP_HOST", "smtp.example.org")
    settings = Settings.from_env()
    assert settings.alert_lateness == 600.0 and settings.smtp_host == "smtp.example.org"
    dispatcher = from_settings(settings)
    assert dispatcher is not None
    assert [c.name for c in dispatcher.channels] == [
        "webhook https://hooks.example.com/***",
        "e-mail to oncall@example.org, ml@example.org via smtp.example.org:25"]

    shown = sundial("config", "show", "--json")
    assert shown.code == 0, shown.err
    rows = {r["name"]: r for r in json.loads(shown.out)["sundial"]}
    assert rows["alert_webhook_url"]["value"] == "https://hooks.example.com/***"
    assert rows["alert_webhook_url"]["source"] == str(sqlite_env / "config.toml")
    assert rows["smtp_password"]["value"] == "***" and "hunter2" not in shown.out
    assert rows["smtp_host"]["source"] == "$SUNDIAL_SMTP_HOST"
    assert rows["alert_lateness"]["value"] == "600s"


def test_a_password_in_the_webhook_url_is_never_shown(
        sqlite_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from usercli import sundial

    url = "https://bot:s3cret@hooks.example.com:8443/hook?token=t0k"
    assert WebhookChannel(url).name == "webhook https://hooks.example.com:8443/***"
    monkeypatch.setenv("SUNDIAL_ALERT_WEBHOOK_URL", url)
    shown = sundial("config", "show")
    assert shown.code == 0, shown.err
    assert "s3cret" not in shown.out and "t0k" not in shown.out and "bot" not in shown.out
