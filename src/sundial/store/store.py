"""The metadata store: one class over SQLAlchemy 2 Core, for SQLite and PostgreSQL alike.

Transactions and connections are in :mod:`sundial.store.connection`. The schema is brought to
the newest Alembic revision when the store is opened (under a lock, so concurrent processes
migrate once).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import ProgrammingError as SAProgrammingError

from sundial.config import Settings
from sundial.errors import NotFoundError, StoreError, StoreUnavailableError
from sundial.store import tables as t
from sundial.store.connection import Database
from sundial.store.records import (
    COMPLETED,
    ArtifactRecord,
    RunRecord,
    StepRunRecord,
)

_MIGRATION_LOCK_ID = 0x5D1A1  # PostgreSQL advisory lock key for schema upgrades

# The statements of a step's start and end, built once: building a statement with .values()
# costs several times more than executing a prebuilt one, and these run for every step.
_INSERT_STEP_RUN = insert(t.step_runs).returning(t.step_runs.c.id)
_INSERT_ARTIFACT = insert(t.artifacts).returning(t.artifacts.c.id)
_INSERT_LINK = insert(t.step_run_artifacts)
_FINISH_STEP_RUN = (
    update(t.step_runs).where(t.step_runs.c.id == bindparam("b_id"))
    .values(status=bindparam("b_status"), ended_at=bindparam("b_ended_at"),
            error=bindparam("b_error"), traceback=bindparam("b_traceback"),
            logs=bindparam("b_logs"), attempts=bindparam("b_attempts"),
            duration=bindparam("b_duration")))


# Step columns that lists of runs leave out (see Store._load_runs(brief=True)).
_BULKY = frozenset({"logs", "traceback"})

_SHARED: dict[str, Store] = {}
_SHARED_LOCK = threading.Lock()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store(Database):
    """Reads and writes pipelines, runs, step runs and artifacts."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        super().__init__(url)
        if upgrade:
            self.ensure_schema()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Store:
        """The process's store for the configured database, opened once: its engine, pool
        and compiled-statement cache serve every later run in this process."""
        url = (settings or Settings.from_env()).database_url
        with _SHARED_LOCK:
            store = _SHARED.get(url)
            if store is None:
                store = _SHARED[url] = cls(url)
        return store

    # -- schema ---------------------------------------------------------------------------------
    def schema_revision(self) -> str | None:
        with self.read() as conn:
            try:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except (SAProgrammingError, OperationalError) as err:
                if "alembic_version" in str(err):
                    return None
                raise

    def ensure_schema(self) -> None:
        """Upgrade to the newest revision unless already there (the common, cheap case)."""
        try:
            current = self.schema_revision()
        except StoreUnavailableError:
            raise
        if current == t.SCHEMA_HEAD:
            return
        self.upgrade()

    def upgrade(self) -> None:
        """Run the Alembic migrations up to head, once even when processes race to do it."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.write() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_ID})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    # -- pipelines --------------------------------------------------------------------------------
    def pipeline_version(self, name: str, version_hash: str, spec: dict[str, Any],
                         source: dict[str, Any]) -> tuple[int, int]:
        """Ids of the pipeline and of this version of it, created when new."""
        with self.write() as conn:
            pid = conn.execute(select(t.pipelines.c.id).where(t.pipelines.c.name == name)).scalar()
            if pid is None:
                pid = conn.execute(insert(t.pipelines).values(name=name, created_at=utcnow())
                                   .returning(t.pipelines.c.id)).scalar_one()
            vid = conn.execute(select(t.pipeline_versions.c.id).where(
                t.pipeline_versions.c.pipeline_id == pid,
                t.pipeline_versions.c.version_hash == version_hash)).scalar()
            if vid is None:
                vid = conn.execute(insert(t.pipeline_versions).values(
                    pipeline_id=pid, version_hash=version_hash, spec=spec, source=source,
                    created_at=utcnow()).returning(t.pipeline_versions.c.id)).scalar_one()
            return int(pid), int(vid)

    def version_source(self, version_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The stored DAG spec and code reference of a pipeline version."""
        with self.read() as conn:
            row = conn.execute(select(t.pipeline_versions.c.spec, t.pipeline_versions.c.source)
                               .where(t.pipeline_versions.c.id == version_id)).one()
        return row.spec, row.source

    # -- runs -----------------------------------------------------------------------------------
    def create_run(self, *, run_id: str, pipeline_id: int, version_id: int,
                   params: dict[str, Any], status: str, orchestrator: str = "local",
                   enable_cache: bool | None = None, **extra: Any) -> None:
        now = utcnow()
        values = dict(id=run_id, pipeline_id=pipeline_id, version_id=version_id, status=status,
                      params=params, orchestrator=orchestrator, created_at=now,
                      enable_cache=None if enable_cache is None else int(enable_cache),
                      started_at=now if status == "running" else None,
                      heartbeat_at=now if status == "running" else None, **extra)
        with self.write() as conn:
            conn.execute(insert(t.runs).values(**values))

    def create_external_run(self, *, run_id: str, external_id: str, **fields: Any) -> str:
        """Create the run a platform knows as ``external_id`` unless another task of the same
        platform run created it first (the column is unique); the id of the run that exists."""
        try:
            self.create_run(run_id=run_id, external_id=external_id, **fields)
        except IntegrityError:
            found = self.run_for_external_id(external_id)
            if found is None:
                raise
            return found
        return run_id

    def run_for_external_id(self, external_id: str) -> str | None:
        """The id of the run an orchestrator knows as ``external_id``, if it exists."""
        with self.read() as conn:
            found = conn.execute(select(t.runs.c.id).where(t.runs.c.external_id == external_id)
                                 ).scalar()
        return None if found is None else str(found)

    def pipeline_of_version(self, version_id: int) -> int | None:
        with self.read() as conn:
            found = conn.execute(select(t.pipeline_versions.c.pipeline_id).where(
                t.pipeline_versions.c.id == version_id)).scalar()
        return None if found is None else int(found)

    def run_definition(self, run_id: str) -> tuple[int, dict[str, Any], bool | None]:
        """What a run executes: its pipeline version, its parameters and its own cache
        setting (None: the pipeline's)."""
        with self.read() as conn:
            row = conn.execute(select(t.runs.c.version_id, t.runs.c.params,
                                      t.runs.c.enable_cache).where(t.runs.c.id == run_id)).one()
        return (int(row.version_id), dict(row.params),
                None if row.enable_cache is None else bool(row.enable_cache))

    def update_run(self, run_id: str, **fields: Any) -> None:
        with self.write() as conn:
            conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(**fields))

    def defer_run_update(self, run_id: str, **fields: Any) -> None:
        """:meth:`update_run`, committed with the next write (see :meth:`defer`)."""
        stmt = update(t.runs).where(t.runs.c.id == run_id).values(**fields)
        self.defer(lambda conn: conn.execute(stmt))

    def heartbeat(self, run_id: str) -> str | None:
        """Mark the run alive; returns its status (a scheduler may have asked it to stop)."""
        with self.write() as conn:
            conn.execute(update(t.runs).where(t.runs.c.id == run_id)
                         .values(heartbeat_at=utcnow()))
            status = conn.execute(select(t.runs.c.status).where(t.runs.c.id == run_id)).scalar()
        return None if status is None else str(status)

    def resolve_run_id(self, run_id: str) -> str:
        """The full id of a run given its id or a unique prefix of it."""
        with self.read() as conn:
            ids = conn.execute(select(t.runs.c.id).where(t.runs.c.id.startswith(run_id,
                               autoescape=True)).limit(2)).scalars().all()
        if len(ids) == 1:
            return str(ids[0])
        if not ids:
            raise NotFoundError(f"no run with id '{run_id}'",
                                "list runs with `sundial runs list` and copy an id from there")
        raise NotFoundError(f"run id prefix '{run_id}' matches more than one run",
                            "give more characters of the id")

    def get_run(self, run_id: str) -> RunRecord:
        full = self.resolve_run_id(run_id)
        runs = self._load_runs(t.runs.c.id == full)
        return runs[0]

    def list_runs(self, *, limit: int = 50, pipeline: str | None = None,
                  status: str | None = None) -> list[RunRecord]:
        conds = []
        if pipeline:
            conds.append(t.pipelines.c.name == pipeline)
        if status:
            conds.append(t.runs.c.status == status)
        return self._load_runs(*conds, limit=limit)

    def _load_runs(self, *where: Any, limit: int | None = None, offset: int = 0,
                   order_by_nominal: bool = False, brief: bool = False) -> list[RunRecord]:
        """Runs newest first, with their steps. ``brief`` (for lists of many runs) leaves out
        each step's logs, traceback and artifacts, which can be large and lists never show."""
        order = (t.runs.c.nominal_at.desc() if order_by_nominal else t.runs.c.created_at.desc())
        q = (select(t.runs, t.pipelines.c.name.label("pipeline"),
                    t.pipeline_versions.c.version_hash)
             .join(t.pipelines, t.pipelines.c.id == t.runs.c.pipeline_id)
             .join(t.pipeline_versions, t.pipeline_versions.c.id == t.runs.c.version_id)
             .where(*where).order_by(order, t.runs.c.id).limit(limit).offset(offset or None))
        with self.read() as conn:
            rows = conn.execute(q).all()
            steps = self._load_steps(conn, [r.id for r in rows], brief=brief)
        return [RunRecord(
            id=r.id, pipeline=r.pipeline, version_hash=r.version_hash, status=r.status,
            params=r.params, orchestrator=r.orchestrator, created_at=r.created_at,
            started_at=r.started_at, ended_at=r.ended_at, error=r.error,
            steps=steps.get(r.id, {}), schedule_id=r.schedule_id, nominal_at=r.nominal_at,
            trigger=r.trigger, version_id=r.version_id,
            enable_cache=None if r.enable_cache is None else bool(r.enable_cache),
            external_id=r.external_id) for r in rows]

    def _load_steps(self, conn: Connection, run_ids: Sequence[str],
                    brief: bool = False) -> dict[str, dict[str, StepRunRecord]]:
        if not run_ids:
            return {}
        s = t.step_runs.c
        columns = [c for c in t.step_runs.c if c.name not in _BULKY] if brief else [t.step_runs]
        rows = conn.execute(select(*columns).where(s.run_id.in_(run_ids))
                            .order_by(s.position)).all()
        links = [] if brief else conn.execute(
            select(t.step_run_artifacts.c.step_run_id, t.step_run_artifacts.c.direction,
                   t.step_run_artifacts.c.name, t.artifacts)
            .join(t.artifacts, t.artifacts.c.id == t.step_run_artifacts.c.artifact_id)
            .where(t.step_run_artifacts.c.step_run_id.in_([r.id for r in rows]))).all()
        arts: dict[tuple[int, str], dict[str, ArtifactRecord]] = {}
        for link in links:
            arts.setdefault((link.step_run_id, link.direction), {})[link.name] = _artifact(link)
        out: dict[str, dict[str, StepRunRecord]] = {}
        for r in rows:
            out.setdefault(r.run_id, {})[r.name] = StepRunRecord(
                id=r.id, run_id=r.run_id, name=r.name, step=r.step, position=r.position,
                status=r.status, cache_key=r.cache_key, attempts=r.attempts,
                started_at=r.started_at, ended_at=r.ended_at, duration=r.duration,
                error=r.error, traceback=None if brief else r.traceback,
                logs=None if brief else r.logs, outputs=arts.get((r.id, "output"), {}),
                inputs=arts.get((r.id, "input"), {}))
        return out

    # -- step runs ------------------------------------------------------------------------------
    def start_step_run(self, *, run_id: str, name: str, step: str, position: int,
                       status: str, cache_key: str | None = None) -> int:
        with self.write() as conn:
            return int(conn.execute(_INSERT_STEP_RUN, dict(
                run_id=run_id, name=name, step=step, position=position, status=status,
                cache_key=cache_key, attempts=0, started_at=utcnow())).scalar_one())

    def finish_step_run(self, step_run_id: int, *, status: str,
                        outputs: dict[str, int] | None = None,
                        inputs: dict[str, int] | None = None,
                        new_artifacts: Sequence[dict[str, Any]] = (),
                        error: str | None = None, traceback: str | None = None,
                        logs: str | None = None, attempts: int = 0,
                        duration: float | None = None, defer: bool = False) -> dict[str, int]:
        """Record a step's end: its status, new artifacts and links, in one transaction.

        ``new_artifacts`` are rows to insert (each with a ``name``); ``outputs`` links existing
        artifact ids (a cache hit). Returns output name → artifact id; with ``defer`` the end
        is committed with this thread's next write (:meth:`defer`) and the ids of new
        artifacts are filled in then.
        """
        now = utcnow()
        linked = dict(outputs or {})

        def apply(conn: Connection) -> None:
            for art in new_artifacts:
                values = {k: v for k, v in art.items() if k != "name"}
                linked[art["name"]] = int(conn.execute(
                    _INSERT_ARTIFACT, dict(created_at=now, **values)).scalar_one())
            rows = [dict(step_run_id=step_run_id, direction="output", name=n, artifact_id=a)
                    for n, a in linked.items()]
            rows += [dict(step_run_id=step_run_id, direction="input", name=n, artifact_id=a)
                     for n, a in (inputs or {}).items()]
            if rows:
                conn.execute(_INSERT_LINK, rows)
            conn.execute(_FINISH_STEP_RUN, dict(
                b_id=step_run_id, b_status=status, b_ended_at=now, b_error=error,
                b_traceback=traceback, b_logs=logs, b_attempts=attempts, b_duration=duration))

        if defer:
            self.defer(apply)
        else:
            with self.write() as conn:
                apply(conn)
        return linked

    def delete_step_run(self, step_run_id: int) -> None:
        """Forget a step's attempt (and its links), so that it can be run again."""
        with self.write() as conn:
            conn.execute(delete(t.step_run_artifacts).where(
                t.step_run_artifacts.c.step_run_id == step_run_id))
            conn.execute(delete(t.step_runs).where(t.step_runs.c.id == step_run_id))

    def record_skipped(self, *, run_id: str, name: str, step: str, position: int,
                       reason: str) -> None:
        with self.write() as conn:
            conn.execute(insert(t.step_runs).values(
                run_id=run_id, name=name, step=step, position=position, status="skipped",
                attempts=0, error=reason))

    def find_cached(self, cache_key: str) -> dict[str, ArtifactRecord] | None:
        """Outputs of the newest completed step run with this cache key, if any."""
        with self.read() as conn:
            sr = conn.execute(select(t.step_runs.c.id).where(
                t.step_runs.c.cache_key == cache_key, t.step_runs.c.status == COMPLETED)
                .order_by(t.step_runs.c.id.desc()).limit(1)).scalar()
            if sr is None:
                return None
            links = conn.execute(
                select(t.step_run_artifacts.c.name, t.artifacts)
                .join(t.artifacts, t.artifacts.c.id == t.step_run_artifacts.c.artifact_id)
                .where(t.step_run_artifacts.c.step_run_id == sr,
                       t.step_run_artifacts.c.direction == "output")).all()
        return {link.name: _artifact(link) for link in links}

    def count(self, table: str) -> int:
        with self.read() as conn:
            return int(conn.execute(select(func.count()).select_from(
                t.metadata.tables[table])).scalar_one())


def _artifact(row: Any) -> ArtifactRecord:
    return ArtifactRecord(id=row.id, uri=row.uri, materializer=row.materializer,
                          data_type=row.data_type, content_hash=row.content_hash,
                          size=row.size, created_at=row.created_at)


__all__ = ["IntegrityError", "Store", "StoreError", "utcnow"]
