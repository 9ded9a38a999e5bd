"""What every route needs: the client over the store, the dashboard queries and the guard, held
on the app, and the two dependencies that check a request's right to read or to write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from sundial.client import Client
from sundial.server.security import SESSION_COOKIE, Guard
from sundial.store.dashboard import DashboardQueries


@dataclass(frozen=True)
class Context:
    client: Client
    queries: DashboardQueries
    guard: Guard


def _context(request: Request) -> Context:
    ctx: Context = request.app.state.sundial
    return ctx


def credentials(request: Request) -> str | None:
    return _context(request).guard.credentials(request.headers.get("authorization"),
                                               request.cookies.get(SESSION_COOKIE))


def can_read(request: Request) -> Context:
    ctx = _context(request)
    ctx.guard.check_read(credentials(request))
    return ctx


def can_write(request: Request) -> Context:
    ctx = _context(request)
    ctx.guard.check_write(credentials(request), csrf=request.headers.get("x-csrf-token"),
                          origin=request.headers.get("origin"),
                          host=request.headers.get("host"))
    return ctx


Reader = Annotated[Context, Depends(can_read)]
Writer = Annotated[Context, Depends(can_write)]
