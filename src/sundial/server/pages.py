"""The dashboard's pages, rendered on the server with Jinja2.

Every page also renders as a fragment (``?partial=1``: just its ``<main>``), which the page's
script fetches to refresh itself: every second while runs are in flight, every few seconds
otherwise. Changes go through the REST API from the page's script.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from sundial.server import charts
from sundial.server.context import Reader, can_read, credentials
from sundial.server.security import SESSION_COOKIE, Guard
from sundial.server.views import calendar, run_view, schedule_rows
from sundial.store.dashboard import RunFilter
from sundial.store.records import ACTIVE_RUN_STATUSES
from sundial.store.run_control import schedule_names
from sundial.store.store import Store

router = APIRouter(include_in_schema=False)
PAGE = 100


@functools.cache
def _env() -> Environment:
    env = Environment(loader=PackageLoader("sundial.server", "templates"),
                      autoescape=select_autoescape(default=True), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["when"] = _when
    env.filters["ago"] = _ago
    return env


def _when(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime(fmt)


def _ago(value: datetime | None) -> str:
    """A duration such as 3.2s, 4m 05s or 2h 10m."""
    if value is None:
        return ""
    return _duration((datetime.now(UTC) - value).total_seconds())


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    if m < 60:
        return f"{m}m {s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h {m:02d}m"


def _render(request: Request, template: str, **values: Any) -> HTMLResponse:
    ctx = request.app.state.sundial
    how = credentials(request)
    partial = request.query_params.get("partial") == "1"
    html = _env().get_template(template).render(
        layout="partial.html" if partial else "base.html", signed_in=how is not None,
        csrf=ctx.guard.csrf if how == "cookie" else "", path=request.url.path,
        duration=_duration, store=ctx.client.store.safe_url, **values)
    return HTMLResponse(html)


def render_error(request: Request, status: int, headline: str, fix: str) -> str:
    """An error as a page (the API answers JSON instead)."""
    return _env().get_template("error.html").render(
        layout="base.html", signed_in=False, csrf="", path=request.url.path, status=status,
        headline=headline, fix=fix, store="")


@router.get("/")
def index() -> RedirectResponse:
    return RedirectResponse("/schedules", status_code=303)


@router.get("/schedules")
def schedules_page(request: Request, ctx: Reader,
                   offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    records, total = ctx.queries.schedules_page(limit=PAGE, offset=offset)
    rows = schedule_rows(ctx.queries, records)
    live = any(r["last_run"] and r["last_run"].status in ACTIVE_RUN_STATUSES for r in rows)
    return _render(request, "schedules.html", rows=rows, total=total, offset=offset,
                   page=PAGE, live=live, schedulers=_schedulers_alive(ctx.client.store))


def _schedulers_alive(store: Store) -> int:
    from sundial.scheduler.watch import alive_replicas

    return len(alive_replicas(store, datetime.now(UTC)))


@router.get("/schedules/{name}")
def schedule_page(request: Request, ctx: Reader, name: str) -> HTMLResponse:
    d = ctx.client.schedules.describe(name, runs=20, fire_times_n=40)
    from sundial.timing.zones import load_zone

    zone = load_zone(d["timezone"])  # named, so times show CET/CEST rather than +01:00
    times = [datetime.fromisoformat(t).astimezone(zone) for t in d["next_fire_times"]]
    skips = ctx.queries.recent_skips(d["id"], limit=20)
    live = any(r["status"] in ACTIVE_RUN_STATUSES for r in d["last_runs"])
    return _render(request, "schedule.html", d=d, times=times, weeks=calendar(times),
                   skips=skips, live=live)


@router.get("/runs")
def runs_page(request: Request, ctx: Reader, pipeline: str | None = None,
              status: str | None = None, schedule: str | None = None,
              offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    schedule_id = ctx.queries.schedule(schedule).id if schedule else None
    runs, total = ctx.queries.runs_page(
        RunFilter(pipeline=pipeline or None, status=status or None, schedule_id=schedule_id),
        limit=PAGE, offset=offset)
    names = schedule_names(ctx.client.store, (r.schedule_id for r in runs))
    now = datetime.now(UTC)
    live = any(r.status in ACTIVE_RUN_STATUSES for r in runs)
    return _render(request, "runs.html", runs=runs, total=total, offset=offset, page=PAGE,
                   chart=charts.timeline(runs, names, now), names=names, live=live,
                   late={r.id for r in runs if charts.is_late(r, now)},
                   filters={"pipeline": pipeline or "", "status": status or "",
                            "schedule": schedule or ""})


@router.get("/runs/{run_id}")
def run_page(request: Request, ctx: Reader, run_id: str) -> HTMLResponse:
    run = ctx.client.get_run(run_id).record
    names = schedule_names(ctx.client.store, [run.schedule_id])
    return _render(request, "run.html", run=run, view=run_view(run),
                   chart=charts.gantt(run, datetime.now(UTC)),
                   schedule_name=names.get(run.schedule_id or ""),
                   live=run.status in ACTIVE_RUN_STATUSES)


@router.get("/orchestrators")
def orchestrators_page(request: Request, ctx: Reader) -> HTMLResponse:
    from sundial.orchestrators.base import SCHEDULE_FEATURES
    from sundial.orchestrators.matrix import matrix

    return _render(request, "orchestrators.html", rows=matrix(), features=SCHEDULE_FEATURES,
                   live=False)


@router.get("/api")
def api_page(request: Request, ctx: Reader) -> HTMLResponse:
    """Every REST endpoint with its summary and parameters, from the OpenAPI document."""
    spec = request.app.openapi()
    routes = [{"method": method.upper(), "path": path, "summary": op.get("summary", ""),
               "doc": op.get("description", ""),
               "params": [p["name"] for p in op.get("parameters", [])],
               "body": "requestBody" in op}
              for path, ops in spec["paths"].items() for method, op in ops.items()]
    return _render(request, "api.html", routes=routes, live=False)


# -- signing in -----------------------------------------------------------------------------

def _local(target: str | None) -> str:
    """Only a path on this server (no open redirect to another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or \
            urlsplit(target).netloc:
        return "/schedules"
    return target


def _signed_in(guard: Guard, target: str) -> Response:
    response = RedirectResponse(_local(target), status_code=303)
    response.set_cookie(SESSION_COOKIE, guard.session, httponly=True, samesite="strict",
                        path="/")
    return response


@router.get("/login")
def login_page(request: Request, token: str | None = None,
               next: str | None = None) -> Response:
    """``/login?token=...`` (the link ``sundial ui`` prints) signs in at once; plain
    ``/login`` shows a form."""
    guard: Guard = request.app.state.sundial.guard
    if token is not None and guard.token_ok(token):
        return _signed_in(guard, next or "/schedules")
    html = _env().get_template("login.html").render(
        layout="base.html", signed_in=False, csrf="", path="/login", next=_local(next),
        wrong=token is not None, store="")
    return HTMLResponse(html, status_code=401 if token is not None else 200)


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()],
          next: Annotated[str, Form()] = "/schedules") -> Response:
    guard: Guard = request.app.state.sundial.guard
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        return HTMLResponse("sign in from this server's own page", status_code=403)
    if not guard.token_ok(token.strip()):
        return login_page(request, token="", next=next)
    return _signed_in(guard, next)


@router.post("/logout")
def logout(request: Request) -> Response:
    can_read(request)
    response = RedirectResponse("/schedules", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
