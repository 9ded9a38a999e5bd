"""Recording ticks and the queued runs they make, exactly once.

:class:`TickRecords` is a part of :class:`~sundial.store.schedule_store.ScheduleStore` (which
inherits it): insert-or-ignore of ticks and runs on their unique keys ``(schedule_id,
nominal_at)``, for one schedule or a whole claimed batch in one insert each, and what a
back-fill, a manual run or a platform's own scheduler adds to them. Leases and the high-water
mark stay in ``schedule_store``; starting the runs is in ``run_dispatch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, func, or_, select, update

from sundial.store import tables as t
from sundial.store.bulk import BulkInsert, Each, new_ids
from sundial.store.records import QUEUED
from sundial.store.store import Store

_TICK_KEY = ("schedule_id", "nominal_at")
_TICK_COLUMNS = ("schedule_id", "nominal_at", "decision", "reason", "run_id", "recorded_at")
_RUN_COLUMNS = ("id", "pipeline_id", "version_id", "status", "params", "orchestrator",
                "enable_cache", "created_at", "schedule_id", "nominal_at", "trigger",
                "not_before", "bypass_limit")


@dataclass(frozen=True)
class NewTick:
    """A tick to record: ``run`` creates a queued run for it; otherwise it is skipped."""

    nominal: datetime
    run: bool
    reason: str | None  # run: live | catchup | backfill | manual; skip: the skip reason
    not_before: datetime | None = None
    bypass_limit: bool = False


class RunSource(Protocol):
    """What recording a schedule's runs reads of it (a ScheduleRecord or a ClaimedSchedule)."""

    @property
    def id(self) -> str: ...
    @property
    def pipeline_id(self) -> int: ...
    @property
    def version_id(self) -> int: ...
    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def orchestrator(self) -> str: ...
    @property
    def enable_cache(self) -> bool | int | None: ...


class TickRecords:
    """The tick half of :class:`~sundial.store.schedule_store.ScheduleStore`. Methods taking
    ``conn`` compose into the caller's transaction."""

    store: Store

    def _prepare_ticks(self) -> None:
        """Build the recording statements once per store."""
        r = t.runs.c
        self._created_of = (select(r.schedule_id, func.count())
                            .where(r.id.in_(bindparam("b_ids", expanding=True)))
                            .group_by(r.schedule_id))
        dialect = self.store.engine.dialect
        self._insert_ticks = BulkInsert(t.ticks, _TICK_COLUMNS, _TICK_KEY, dialect)
        self._insert_runs = BulkInsert(t.runs, _RUN_COLUMNS, _TICK_KEY, dialect)

    def record_ticks(self, conn: Connection, schedule: RunSource, ticks: Sequence[NewTick],
                     now: datetime) -> int:
        """Insert ticks and their queued runs, ignoring any already recorded; returns the
        number of runs actually created."""
        return self.record_batch(conn, [(schedule, ticks)], now)[0]

    def record_batch(self, conn: Connection,
                     batch: Sequence[tuple[RunSource, Sequence[NewTick]]],
                     now: datetime) -> list[int]:
        """:meth:`record_ticks` for several schedules: one insert of all their ticks and one
        of all their runs. Returns the runs actually created, per schedule."""
        if not batch:
            return []
        counts = [len(ticks) for _, ticks in batch]
        ticks = batch[0][1] if len(batch) == 1 else [k for _, ks in batch for k in ks]
        if not ticks:
            return [0] * len(batch)
        # Column-wise, each value converted once: a catch-up records thousands at a time.
        runs = [tick for tick in ticks if tick.run]
        run_ids = new_ids(len(runs))
        ids_of = dict(zip((id(tick) for tick in runs), run_ids, strict=True))
        nominal = self._insert_ticks.converted("nominal_at", [k.nominal for k in ticks])
        self._insert_ticks.execute(conn, len(ticks), dict(
            schedule_id=_spread([s.id for s, _ in batch], counts), recorded_at=now,
            nominal_at=nominal, decision=Each(["run" if k.run else "skipped" for k in ticks]),
            reason=Each([k.reason for k in ticks]),
            run_id=Each([ids_of.get(id(k)) for k in ticks])))
        if not runs:
            return [0] * len(batch)
        if len(runs) < len(ticks):  # the same column type: the converted values serve again
            nominal = Each([v for v, k in zip(nominal.values, ticks, strict=True) if k.run],
                           converted=True)
        per = [sum(k.run for k in ks) for _, ks in batch] if len(batch) > 1 else [len(runs)]
        jittered = any(k.not_before not in (None, k.nominal) for k in runs)
        sources = [s for s, _ in batch]
        # Insert-or-ignore: a run that exists already (another replica, an earlier pass that
        # crashed after committing) is not counted.
        inserted = self._insert_runs.execute(conn, len(runs), dict(
            id=Each(run_ids), pipeline_id=_spread([s.pipeline_id for s in sources], per),
            version_id=_spread([s.version_id for s in sources], per), status=QUEUED,
            params=_spread([s.params for s in sources], per),
            orchestrator=_spread([s.orchestrator for s in sources], per),
            enable_cache=_spread([None if s.enable_cache is None else int(s.enable_cache)
                                  for s in sources], per),
            created_at=now, schedule_id=_spread([s.id for s in sources], per),
            nominal_at=nominal, trigger=Each([k.reason for k in runs]),
            not_before=Each([k.not_before or k.nominal for k in runs]) if jittered
            else nominal,
            bypass_limit=Each([int(k.bypass_limit) for k in runs])))
        if inserted == len(runs):
            return per
        if len(batch) == 1:
            return [inserted]
        # Some existed already: which schedules' runs went in is asked of the store (rare).
        made: dict[str, int] = {}
        for i in range(0, len(run_ids), 5_000):
            for schedule_id, n in conn.execute(self._created_of,
                                               {"b_ids": run_ids[i:i + 5_000]}).all():
                made[schedule_id] = made.get(schedule_id, 0) + int(n)
        return [made.get(s.id, 0) for s in sources]

    def promote_skipped(self, conn: Connection, schedule_id: str, nominals: Sequence[datetime],
                        reason: str, now: datetime) -> int:
        """Ticks at ``nominals`` recorded as skipped whose run now exists (a back-fill made it)
        become ``run`` ticks with ``reason`` and that run's id, so that a tick says what
        happened to it last; returns how many changed."""
        if not nominals:
            return 0
        ticks, runs = t.ticks.c, t.runs.c
        run_id = (select(runs.id).where(runs.schedule_id == ticks.schedule_id,
                                        runs.nominal_at == ticks.nominal_at)
                  .scalar_subquery())
        result = conn.execute(
            update(t.ticks)
            .where(ticks.schedule_id == schedule_id, ticks.decision == "skipped",
                   ticks.nominal_at.in_(list(nominals)), run_id.is_not(None))
            .values(decision="run", reason=reason, run_id=run_id, recorded_at=now))
        return int(result.rowcount or 0)

    def run_of_tick(self, conn: Connection, schedule_id: str, nominal: datetime) -> str:
        """The id of the run of tick (schedule, nominal)."""
        return str(conn.execute(select(t.runs.c.id).where(
            t.runs.c.schedule_id == schedule_id, t.runs.c.nominal_at == nominal)).scalar_one())

    def unsubmitted_runs(self, conn: Connection, schedule_id: str,
                         nominals: Sequence[datetime]) -> list[tuple[str, datetime]]:
        """Queued runs of these ticks that no platform has taken yet (no external id)."""
        r = t.runs.c
        rows = conn.execute(select(r.id, r.nominal_at).where(
            r.schedule_id == schedule_id, r.nominal_at.in_(list(nominals)),
            r.status == QUEUED, r.external_id.is_(None)).order_by(r.nominal_at)).all()
        return [(str(row.id), row.nominal_at) for row in rows]

    def record_native_tick(self, schedule_id: str, nominal: datetime, run_id: str,
                           now: datetime) -> None:
        """A run the platform's own scheduler made is a tick of its schedule: counted by
        ``describe`` like sundial's own (the tick key is unique, so a retry adds nothing)."""
        with self.store.write() as conn:
            self._insert_ticks.execute(conn, 1, dict(
                schedule_id=schedule_id, nominal_at=nominal, decision="run", reason="native",
                run_id=run_id, recorded_at=now))
            s = t.schedules.c
            conn.execute(update(t.schedules).where(
                s.id == schedule_id,
                or_(s.last_nominal_at.is_(None), s.last_nominal_at < nominal))
                .values(last_nominal_at=nominal))

    def tick_counts(self, schedule_id: str) -> dict[str, int]:
        """Ticks by decision/reason (``run:live``, ``skipped:overlap_skip`` ...)."""
        with self.store.read() as conn:
            rows = conn.execute(select(t.ticks.c.decision, t.ticks.c.reason, func.count())
                                .where(t.ticks.c.schedule_id == schedule_id)
                                .group_by(t.ticks.c.decision, t.ticks.c.reason)).all()
        return {f"{d}:{r}": int(n) for d, r, n in rows}


def _spread(values: list[Any], counts: Sequence[int]) -> Any:
    """One value per schedule, as a column of one value per row (``counts`` rows each); a
    value every schedule shares stays one value (converted once)."""
    first = values[0]
    if all(v == first for v in values):
        return first
    return Each([v for v, n in zip(values, counts, strict=True) for _ in range(n)])
