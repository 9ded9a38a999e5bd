"""The token and the guard, without a server: where the token comes from, how its file is
kept, and which requests each rule lets through."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sundial.config import Settings
from sundial.errors import AccessDeniedError, CrossSiteRequestError
from sundial.server.security import TOKEN_FILE, Guard, is_loopback, load_token


def settings(home: Path, token: str | None = None) -> Settings:
    return Settings(home=home, database_url="sqlite://", artifact_uri=str(home),
                    ui_token=token)


def test_a_generated_token_is_kept_private_and_reused(tmp_path: Path) -> None:
    token, generated = load_token(settings(tmp_path / "home"))
    path = tmp_path / "home" / TOKEN_FILE
    assert generated and len(token) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_token(settings(tmp_path / "home")) == (token, False)
    # A file others could read is made private again.
    path.chmod(0o644)
    assert load_token(settings(tmp_path / "home")) == (token, False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_environment_token_wins_and_is_never_printed(tmp_path: Path) -> None:
    given = settings(tmp_path, token="from-env-123")
    assert load_token(given) == ("from-env-123", False)
    assert not (tmp_path / TOKEN_FILE).exists()
    assert "from-env-123" not in repr(given)


@pytest.mark.parametrize(("host", "loop"), [("127.0.0.1", True), ("localhost", True),
                                             ("::1", True), ("127.0.0.2", True),
                                             ("0.0.0.0", False), ("192.0.2.7", False),
                                             ("example.org", False)])
def test_loopback(host: str, loop: bool) -> None:
    assert is_loopback(host) is loop
    assert Guard.for_host("t", host).open_reads is loop


def test_the_guard() -> None:
    g = Guard.for_host("secret", "127.0.0.1")
    assert g.credentials("Bearer secret", None) == "bearer"
    assert g.credentials("Bearer nope", None) is None
    assert g.credentials(None, g.session) == "cookie"
    assert g.credentials(None, "secret") is None  # the cookie is a hash, not the token
    assert "secret" not in g.session and "secret" not in g.csrf
    g.check_read(None)  # loopback: reads are open
    with pytest.raises(AccessDeniedError):
        Guard.for_host("secret", "0.0.0.0").check_read(None)
    with pytest.raises(AccessDeniedError):
        g.check_write(None, csrf=None, origin=None, host="127.0.0.1:1")
    g.check_write("bearer", csrf=None, origin=None, host="127.0.0.1:1")
    with pytest.raises(CrossSiteRequestError):
        g.check_write("cookie", csrf=None, origin=None, host="127.0.0.1:1")
    with pytest.raises(CrossSiteRequestError):
        g.check_write("cookie", csrf=g.csrf, origin="http://evil.example", host="127.0.0.1:1")
    g.check_write("cookie", csrf=g.csrf, origin="http://127.0.0.1:1", host="127.0.0.1:1")
    assert g.host_ok("127.0.0.1:8765") and g.host_ok("localhost") and g.host_ok("[::1]:80")
    assert not g.host_ok("rebound.example:8765")
    assert Guard.for_host("secret", "0.0.0.0").host_ok("anything.example")
