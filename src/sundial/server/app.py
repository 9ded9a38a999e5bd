"""The FastAPI application: REST API, dashboard pages, static files, errors and headers."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from sundial.client import Client
from sundial.config import Settings
from sundial.errors import (
    AccessDeniedError,
    AlreadyExistsError,
    CrossSiteRequestError,
    InvalidScheduleError,
    NotFoundError,
    OrchestratorError,
    ParameterError,
    StoreUnavailableError,
    SundialError,
)
from sundial.server import api, pages
from sundial.server.context import Context
from sundial.server.security import Guard, load_token
from sundial.store.dashboard import DashboardQueries
from sundial.store.store import Store

HERE = Path(__file__).parent

# The page's own scripts and styles only; inline style attributes place the chart bars.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'")


def status_of(err: SundialError) -> int:
    """The HTTP status an error answers with."""
    for kind, status in ((CrossSiteRequestError, 403), (AccessDeniedError, 401),
                         (NotFoundError, 404), (InvalidScheduleError, 422), (ParameterError, 422),
                         (AlreadyExistsError, 409), (OrchestratorError, 409),
                         (StoreUnavailableError, 503)):
        if isinstance(err, kind):
            return status
    return 400


def create_app(store: Store | None = None, *, token: str | None = None,
               host: str = "127.0.0.1") -> FastAPI:
    """The app over ``store`` (default: the configured one). ``token`` defaults to
    ``SUNDIAL_UI_TOKEN`` or the generated one in ``SUNDIAL_HOME``; ``host`` is the address the
    server listens on, which decides whether reads need the token (anything but loopback)."""
    settings = Settings.from_env()
    store = store or Store.from_settings(settings)
    token = token or load_token(settings)[0]
    # FastAPI's interactive docs load their script from a CDN, which this server's CSP (and
    # an offline machine) refuses: /api is a plain page made from the OpenAPI document instead.
    app = FastAPI(title="sundial", version="1", docs_url=None,
                  openapi_url="/api/v1/openapi.json", redoc_url=None)
    app.state.sundial = Context(Client(store), DashboardQueries(store),
                                Guard.for_host(token, host))
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def _headers(request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        guard: Guard = app.state.sundial.guard
        if not guard.host_ok(request.headers.get("host")):
            # A page on another name resolving to 127.0.0.1 (DNS rebinding) gets nothing.
            return JSONResponse({"error": "this server answers only on its loopback names",
                                 "fix": "open it as http://127.0.0.1:PORT/"}, status_code=400)
        began = time.perf_counter()
        response = await call_next(request)
        # The server's own time for the request (rendered, not yet sent): browsers' dev tools
        # and bench/ui.py read it.
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - began) * 1e3:.2f}"
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(SundialError)
    async def _sundial_error(request: Request, err: Exception) -> Response:
        assert isinstance(err, SundialError)
        return _error(request, status_of(err), err.headline, err.fix)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: Exception) -> Response:
        assert isinstance(err, RequestValidationError)
        first = err.errors()[0] if err.errors() else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
        msg = str(first.get("msg", "invalid"))
        if msg.startswith("Value error, "):  # a Schedule validator's own words
            msg = msg.removeprefix("Value error, ")
        return _error(request, 422, f"field '{field or 'body'}': {msg}",
                      "correct that field; the API's schema is at /api/v1/openapi.json")

    return app


def _error(request: Request, status: int, headline: str, fix: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": headline, "fix": fix}, status_code=status)
    return HTMLResponse(pages.render_error(request, status, headline, fix), status_code=status)
