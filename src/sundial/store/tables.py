"""The metadata schema as SQLAlchemy Core tables. Alembic migrations own the real DDL.

Every instant is stored in UTC; :class:`UTCDateTime` gives back aware datetimes on SQLite too
(which keeps no offset).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

# The newest Alembic revision this code knows; a test checks it against the migration chain.
SCHEMA_HEAD = "0006"


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as UTC and always read back timezone-aware.

    On SQLite, which has no datetime type, the value is the text SQLAlchemy's own ``DATETIME``
    stores (``2026-01-02 03:04:05.000006``, UTC) and compares as; it is written and read here
    with ``isoformat``/``fromisoformat`` (C code), several times cheaper per value than the
    generic formatting, which matters when a catch-up writes thousands of ticks at once.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store; pass an aware one")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        if dialect.name == "sqlite":  # the UTC wall time: SQLite keeps no offset
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=UTC)
        return stored.astimezone(UTC)


metadata = MetaData()

pipelines = Table(
    "pipelines", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

pipeline_versions = Table(
    "pipeline_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pipeline_id", Integer, ForeignKey("pipelines.id", ondelete="CASCADE"),
           nullable=False),
    Column("version_hash", String(64), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("source", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("pipeline_id", "version_hash", name="uq_pipeline_version"),
)

runs = Table(
    "runs", metadata,
    Column("id", String(36), primary_key=True),
    Column("pipeline_id", Integer, ForeignKey("pipelines.id", ondelete="CASCADE"),
           nullable=False),
    Column("version_id", Integer, ForeignKey("pipeline_versions.id", ondelete="CASCADE"),
           nullable=False),
    Column("status", String(16), nullable=False),
    Column("params", JSON, nullable=False),
    Column("orchestrator", String(32), nullable=False, default="local"),
    Column("enable_cache", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("heartbeat_at", UTCDateTime),
    Column("error", Text),
    # Set when a schedule made the run: (schedule_id, nominal_at) is unique, so a tick makes
    # at most one run however many scheduler replicas race.
    Column("schedule_id", String(36), ForeignKey("schedules.id", ondelete="SET NULL",
                                                 name="fk_runs_schedule")),
    Column("nominal_at", UTCDateTime),
    Column("trigger", String(16)),  # live | catchup | backfill | manual | rerun
    Column("not_before", UTCDateTime),  # jitter: do not start earlier
    Column("bypass_limit", Integer, nullable=False, default=0, server_default="0"),
    Column("worker_pid", Integer),
    Column("worker_host", String(255)),
    # The orchestrator's own key for the run (e.g. an Airflow DAG run), unique, so the first
    # remote task to arrive creates the run and the others find it.
    Column("external_id", String(255), unique=True),
    Index("ix_runs_created_at", "created_at"),
    # The dispatcher's queue: which schedules have queued runs, and each one's in tick order
    # (it also serves lookups by status).
    Index("ix_runs_queue", "status", "schedule_id", "nominal_at"),
    Index("ix_runs_schedule_status", "schedule_id", "status"),
    # The few queued runs that bypass their schedule's limit.
    Index("ix_runs_bypass", "status", "bypass_limit"),
    UniqueConstraint("schedule_id", "nominal_at", name="uq_run_tick"),
)

step_runs = Table(
    "step_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("step", String(255), nullable=False),
    Column("position", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("cache_key", String(64)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("started_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("duration", Float),
    Column("error", Text),
    Column("traceback", Text),
    Column("logs", Text),
    UniqueConstraint("run_id", "name", name="uq_step_run_name"),
    Index("ix_step_runs_cache_key", "cache_key"),
)

artifacts = Table(
    "artifacts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uri", Text, nullable=False),
    Column("materializer", String(64), nullable=False),
    Column("data_type", String(255), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Which artifact each step run produced (or, when cached, reused) and consumed.
step_run_artifacts = Table(
    "step_run_artifacts", metadata,
    Column("step_run_id", Integer, ForeignKey("step_runs.id", ondelete="CASCADE"),
           primary_key=True),
    Column("direction", String(8), primary_key=True),  # "output" or "input"
    Column("name", String(255), primary_key=True),
    Column("artifact_id", Integer, ForeignKey("artifacts.id"), nullable=False),
)

schedules = Table(
    "schedules", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("pipeline_id", Integer, ForeignKey("pipelines.id", ondelete="CASCADE"),
           nullable=False),
    Column("version_id", Integer, ForeignKey("pipeline_versions.id", ondelete="CASCADE"),
           nullable=False),
    Column("params", JSON, nullable=False),
    Column("enable_cache", Integer),
    Column("orchestrator", String(32), nullable=False),
    # Set when the schedule lives on the orchestrator (native mode): its id there.
    Column("native_ref", String(255)),
    # How it was deployed: {"mode": "native"|"sundial", "defaulted": [fields],
    # "default_here": {field: text}, "options": {...}}; None for schedules made before 0004.
    Column("deployment", JSON),
    Column("definition", Text, nullable=False),  # Schedule.to_json(), versioned
    Column("state", String(16), nullable=False),  # active | paused | completed | deleted
    Column("pause_note", Text),
    Column("paused_at", UTCDateTime),
    Column("resumed_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("last_nominal_at", UTCDateTime),  # newest tick handled: the high-water mark
    Column("next_fire_at", UTCDateTime, index=True),
    Column("fired_count", Integer, nullable=False, default=0, server_default="0"),
    Column("lease_owner", String(64)),
    Column("lease_expires_at", UTCDateTime),
)

ticks = Table(
    "ticks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("schedule_id", String(36), ForeignKey("schedules.id", ondelete="CASCADE"),
           nullable=False),
    Column("nominal_at", UTCDateTime, nullable=False),
    Column("decision", String(16), nullable=False),  # run | skipped
    # For runs: live | catchup | backfill | manual; for skips: catchup_disabled |
    # outside_window | overlap_skip | paused.
    Column("reason", String(32)),
    Column("run_id", String(36)),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("schedule_id", "nominal_at", name="uq_tick"),
)

# Each scheduler replica heartbeats here, so replicas can watch one another (a silent one is
# reported) and `sundial scheduler status` can say which are alive.
scheduler_replicas = Table(
    "scheduler_replicas", metadata,
    Column("owner", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime),  # a clean stop; a crash leaves it empty
)

# One row per alert about a subject (a late tick, a silent replica): however many replicas
# notice, the one whose insert wins sends it.
alerts_sent = Table(
    "alerts_sent", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("key", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "subject", "key", name="uq_alert_sent"),
)
