"""The REST API under ``/api/v1``: the operations of ``Client()``, answering the same JSON as
the CLI's ``--json`` (lists are bare JSON arrays; their total is in ``X-Total-Count``).

Errors are ``{"error": headline, "fix": fix}``: 404 for an unknown id, 422 for a bad field
(same words as the CLI), 401 without the token, 403 for a cross-site write, 409 for a conflict.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from sundial.errors import InvalidScheduleError, ParameterError
from sundial.scheduler.api import backfill_bound, is_bare_date
from sundial.server.context import Reader, Writer
from sundial.server.views import run_view, schedule_rows
from sundial.store.dashboard import MAX_PAGE, RunFilter
from sundial.store.records import RUN_STATUSES
from sundial.store.run_control import schedule_names

router = APIRouter(prefix="/api/v1")

# A back-fill through the API records at most this many ticks per request (bounded work on
# user input); the CLI has no such limit.
BACKFILL_LIMIT = 100_000

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")]
Offset = Annotated[int, Query(ge=0, description="rows to skip (newest first)")]


def _paged(response: Response, total: int) -> None:
    response.headers["X-Total-Count"] = str(total)


@router.get("/pipelines", summary="Pipelines with their version and run counts")
def pipelines(ctx: Reader) -> list[dict[str, Any]]:
    return ctx.queries.pipelines()


@router.get("/runs", summary="Runs, newest first (like `sundial runs list --json`)")
def runs(ctx: Reader, response: Response, pipeline: str | None = None,
         schedule: Annotated[str | None, Query(description="schedule name or id")] = None,
         status: str | None = None,
         since: Annotated[datetime | None, Query(description="created at or after")] = None,
         until: Annotated[datetime | None, Query(description="created before")] = None,
         limit: Limit = 50, offset: Offset = 0) -> list[dict[str, Any]]:
    if status is not None and status not in RUN_STATUSES:
        raise ParameterError(f"status {status!r} is not a run status",
                             f"use one of: {', '.join(RUN_STATUSES)}")
    schedule_id = ctx.queries.schedule(schedule).id if schedule else None
    found, total = ctx.queries.runs_page(
        RunFilter(pipeline=pipeline, schedule_id=schedule_id, status=status,
                  since=_utc(since), until=_utc(until)), limit=limit, offset=offset)
    _paged(response, total)
    names = schedule_names(ctx.client.store, (r.schedule_id for r in found))
    now = datetime.now(UTC)
    return [r.listed(names.get(r.schedule_id or ""), now) for r in found]


@router.get("/runs/{run_id}", summary="One run with its steps, logs and artifacts")
def run(ctx: Reader, run_id: str) -> dict[str, Any]:
    """``sundial runs show --json``, plus each step's logs and traceback and a preview of
    small JSON artifacts."""
    return run_view(ctx.client.get_run(run_id).record)


@router.post("/runs/{run_id}/cancel", summary="Cancel a run (`sundial runs cancel`)")
def cancel(ctx: Writer, run_id: str) -> dict[str, Any]:
    """A queued run ends ``cancelled`` at once; a running one turns ``cancelling`` and its
    worker stops it."""
    from sundial.scheduler.wake import notify_schedulers
    from sundial.store.run_control import cancel_run

    store = ctx.client.store
    full = store.resolve_run_id(run_id)
    status = cancel_run(store, full, datetime.now(UTC))
    notify_schedulers(store.url)  # a slot of its schedule may be free
    return {"run": full, "status": status}


class RerunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] | None = Field(
        default=None, description="parameters to change for the new run (over the run's own)")


@router.post("/runs/{run_id}/rerun",
             summary="Re-run a run on its orchestrator, out of the server (`sundial runs rerun`)")
def rerun(ctx: Writer, run_id: str, body: RerunBody | None = None) -> dict[str, Any]:
    """Records a new run of the same pipeline version, orchestrator and schedule with the
    run's parameters (``params`` change some), hands it to a worker process of its own and
    answers at once with the new run (``starting``), as ``sundial runs show --json``."""
    new = ctx.client.rerun(run_id, (body.params if body else None) or None)
    return new.record.shown(datetime.now(UTC))


@router.get("/schedules", summary="Schedules (like `sundial schedule list --json`)")
def schedules(ctx: Reader, response: Response, pipeline: str | None = None,
              include_deleted: bool = False, limit: Limit = 100,
              offset: Offset = 0) -> list[dict[str, Any]]:
    records, total = ctx.queries.schedules_page(limit=limit, offset=offset,
                                                include_deleted=include_deleted,
                                                pipeline=pipeline)
    _paged(response, total)
    return [row["summary"] for row in schedule_rows(ctx.queries, records)]


@router.get("/schedules/{name}", summary="`sundial schedule describe --json`")
def describe(ctx: Reader, name: str) -> dict[str, Any]:
    return ctx.client.schedules.describe(name)


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000, description="why it is paused")


@router.post("/schedules/{name}/pause", summary="Pause: no tick runs until resumed")
def pause(ctx: Writer, name: str, body: PauseBody | None = None) -> dict[str, Any]:
    return ctx.client.schedules.pause(name, note=body.note if body else None).summary()


@router.post("/schedules/{name}/resume", summary="Resume; missed ticks follow catchup")
def resume(ctx: Writer, name: str) -> dict[str, Any]:
    return ctx.client.schedules.resume(name).summary()


Seconds = Annotated[StrictInt | StrictFloat, Field(description="seconds")]
Instant = Annotated[StrictStr, Field(description="ISO 8601; without an offset, in the "
                                     "schedule's zone")]


class UpdateBody(BaseModel):
    """Fields of the Schedule to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    # Strict, like Schedule itself: "yes" is not a bool, "3" not a count, 12345 not an
    # instant (lax pydantic would read it as seconds after 1970). Instants stay ISO strings
    # for Schedule to read in the schedule's zone.
    name: str | None = None
    cron_expression: str | None = None
    interval_second: Seconds | None = None
    run_once_start_time: Instant | None = None
    start_time: Instant | None = None
    end_time: Instant | None = None
    timezone: str | None = None
    catchup: StrictBool | None = None
    catchup_window: Seconds | None = None
    overlap: Literal["queue", "skip", "replace", "allow"] | None = None
    max_active_runs: StrictInt | None = None
    max_runs: StrictInt | None = None
    jitter: Seconds | None = None
    params: dict[str, Any] | None = Field(
        default=None, description="pipeline parameters for later runs (merged)")


# Setting one kind clears the others, as `sundial schedule update --cron/--interval` does.
_KINDS = ("cron_expression", "interval_second", "run_once_start_time")


@router.patch("/schedules/{name}", summary="Change fields of a schedule")
def update(ctx: Writer, name: str, body: UpdateBody) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise InvalidScheduleError("nothing to update",
                                   "send at least one field, e.g. {\"cron_expression\": ...}")
    if any(fields.get(k) is not None for k in _KINDS):
        fields = {**{k: None for k in _KINDS}, **fields}
    return ctx.client.schedules.update(name, **fields).summary()


@router.delete("/schedules/{name}",
               summary="Delete (soft: history stays; hard: ticks too); cancels queued runs")
def delete(ctx: Writer, name: str, hard: bool = False,
           dry_run: Annotated[bool, Query(description="say what would be cancelled")] = False
           ) -> dict[str, Any]:
    if dry_run:
        return {"name": name, "deleted": False, "hard": hard,
                "cancelled": ctx.client.schedules.queued_runs(name), "dry_run": True}
    cancelled = ctx.client.schedules.delete(name, hard=hard)
    return {"name": name, "deleted": True, "hard": hard, "cancelled": cancelled}


class TriggerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] | None = Field(default=None,
                                          description="parameters for this run only")


@router.post("/schedules/{name}/trigger", summary="Queue a manual run now")
def trigger(ctx: Writer, name: str, body: TriggerBody | None = None) -> dict[str, Any]:
    params = body.params if body else None
    return {"name": name, "run_id": ctx.client.schedules.trigger(name, params or None)}


class BackfillBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(description="first instant (inclusive), ISO; a bare date is its "
                       "midnight; without an offset, in the schedule's zone")
    end: str = Field(description="last instant (inclusive), ISO; a bare date means the "
                     "whole day, as in `sundial schedule backfill`")
    dry_run: bool = Field(default=False, description="record nothing; list the ticks that "
                          "would be queued")


@router.post("/schedules/{name}/backfill",
             summary="Queue a run for every past tick in [start, end] (exactly once)")
def backfill(ctx: Writer, name: str, body: BackfillBody) -> dict[str, Any]:
    info = ctx.client.schedules.get(name)
    first = backfill_bound("start", body.start, end_of_day=False)
    last = backfill_bound("end", body.end, end_of_day=True)
    start = first if first.tzinfo else first.replace(tzinfo=info.schedule.zone)
    end = last if last.tzinfo else last.replace(tzinfo=info.schedule.zone)
    # Count first, with a cap: a range of a 1-second schedule over years is refused here
    # instead of filling the store from one click.
    from sundial.timing import fire_times

    ticks = sum(1 for _ in itertools.islice(
        fire_times(info.schedule, start - timedelta(microseconds=1), until=end),
        BACKFILL_LIMIT + 1))
    if ticks > BACKFILL_LIMIT:
        raise InvalidScheduleError(
            f"backfill from {first.isoformat()} to {last.isoformat()} covers more "
            f"than {BACKFILL_LIMIT} ticks", "split the range, or use `sundial schedule backfill`")
    result = ctx.client.schedules.backfill(name, start, end, dry_run=body.dry_run,
                                           up_to_now=is_bare_date(body.end))
    return result.to_json(name, dry_run=body.dry_run)


@router.get("/scheduler", summary="Scheduler replicas (alive, silent, stopped) and leases")
def scheduler(ctx: Reader) -> dict[str, Any]:
    """``sundial scheduler status --json``, plus the schedules each replica holds a lease on
    right now and the number of runs in flight."""
    from sundial.scheduler.watch import STALE
    from sundial.store.replica_store import ReplicaStore

    now = datetime.now(UTC)
    data = ReplicaStore(ctx.client.store).status(now, STALE)
    leases = ctx.queries.leases(now)
    for row in data["replicas"]:
        row["leases"] = [{"schedule": lease.schedule, "expires_at": lease.expires_at.isoformat()}
                         for lease in leases if lease.owner == row["replica"]]
    data["runs_in_flight"] = ctx.queries.runs_in_flight()
    return data


@router.get("/orchestrators", summary="The orchestrator capability matrix")
def orchestrators(ctx: Reader) -> list[dict[str, Any]]:
    from sundial.orchestrators.matrix import matrix

    return matrix()


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

