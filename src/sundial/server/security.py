"""Who may read and write through the dashboard and the REST API.

- One token guards every write: ``SUNDIAL_UI_TOKEN``, or one generated at first start and kept
  in ``$SUNDIAL_HOME/ui-token`` with mode 0600. Reads need it too when the server listens on
  anything but loopback.
- Scripts send ``Authorization: Bearer <token>``. A browser signs in once (``/login``) and then
  holds a session cookie (HttpOnly, SameSite=Strict) that is an HMAC of the token, never the
  token itself.
- Cookie-authenticated writes also need the ``X-CSRF-Token`` header (another HMAC of the token,
  which only a page of this origin can read) and an ``Origin`` of this host: a cross-site form
  or fetch can carry the cookie but neither of those. A bearer header cannot be sent cross-site
  at all without a CORS preflight, which this server never grants.
- Bound to loopback, the server answers only ``Host: 127.0.0.1 / localhost / [::1]``, so a
  DNS-rebinding page on another name cannot read it either.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sundial.config import Settings
from sundial.errors import AccessDeniedError, CrossSiteRequestError

TOKEN_FILE = "ui-token"
SESSION_COOKIE = "sundial_session"
CSRF_HEADER = "x-csrf-token"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_token(settings: Settings) -> tuple[str, bool]:
    """The write token and whether it was generated just now (so the caller can print it)."""
    if settings.ui_token:
        return settings.ui_token, False
    path = settings.home / TOKEN_FILE
    if path.exists():
        # A token file others can read is no secret: tighten it rather than refuse to start.
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        token = path.read_text().strip()
        if token:
            return token, False
    settings.home.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    _write_private(path, token + "\n")
    return token, True


def _write_private(path: Path, text: str) -> None:
    # Created with 0600 from the start (not chmod after), so it is never readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    path.chmod(0o600)


@dataclass(frozen=True)
class Guard:
    """The checks of one server: its token and whether reads are open (loopback only)."""

    token: str
    open_reads: bool
    allowed_hosts: frozenset[str] | None  # None: any Host header (not bound to loopback)

    @classmethod
    def for_host(cls, token: str, host: str) -> Guard:
        loop = is_loopback(host)
        return cls(token=token, open_reads=loop, allowed_hosts=LOOPBACK_NAMES if loop else None)

    def _derive(self, purpose: str) -> str:
        return hmac.new(self.token.encode(), purpose.encode(), hashlib.sha256).hexdigest()

    @property
    def session(self) -> str:
        return self._derive("session")

    @property
    def csrf(self) -> str:
        return self._derive("csrf")

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def host_ok(self, host_header: str | None) -> bool:
        if self.allowed_hosts is None:
            return True
        name = urlsplit(f"//{host_header or ''}").hostname or ""
        return name in self.allowed_hosts or f"[{name}]" in self.allowed_hosts

    def credentials(self, authorization: str | None, cookie: str | None) -> str | None:
        """``"bearer"``, ``"cookie"`` or None, by what the request proved."""
        if authorization and authorization.lower().startswith("bearer ") and \
                self.token_ok(authorization[7:].strip()):
            return "bearer"
        if cookie and hmac.compare_digest(cookie.encode(), self.session.encode()):
            return "cookie"
        return None

    def check_read(self, how: str | None) -> None:
        if how is None and not self.open_reads:
            raise AccessDeniedError("this server needs the dashboard token for every request",
                                    _SIGN_IN)

    def check_write(self, how: str | None, *, csrf: str | None, origin: str | None,
                    host: str | None) -> None:
        if how is None:
            raise AccessDeniedError("changes need the dashboard token", _SIGN_IN)
        if how == "cookie":
            if not (csrf and hmac.compare_digest(csrf.encode(), self.csrf.encode())):
                raise CrossSiteRequestError(
                    "this change came without the page's CSRF token",
                    "make changes from the dashboard's own pages, or send "
                    "Authorization: Bearer <token>")
            if origin is not None and urlsplit(origin).netloc != host:
                raise CrossSiteRequestError(f"this change came from another site ({origin})",
                                            "make changes from the dashboard's own pages")


_SIGN_IN = ("sign in at /login with the token, or send Authorization: Bearer <token>; the token "
            "is $SUNDIAL_UI_TOKEN or the one in $SUNDIAL_HOME/ui-token")
