"""schedules and ticks; runs carry their schedule and nominal time

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("pipeline_id", sa.Integer(),
                  sa.ForeignKey("pipelines.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version_id", sa.Integer(),
                  sa.ForeignKey("pipeline_versions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("enable_cache", sa.Integer(), nullable=True),
        sa.Column("orchestrator", sa.String(32), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("pause_note", sa.Text(), nullable=True),
        sa.Column("paused_at", TS, nullable=True),
        sa.Column("resumed_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("last_nominal_at", TS, nullable=True),
        sa.Column("next_fire_at", TS, nullable=True),
        sa.Column("fired_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", TS, nullable=True),
    )
    op.create_index("ix_schedules_next_fire_at", "schedules", ["next_fire_at"])
    op.create_table(
        "ticks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("schedule_id", sa.String(36),
                  sa.ForeignKey("schedules.id", ondelete="CASCADE"), nullable=False),
        sa.Column("nominal_at", TS, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("run_id", sa.String(36), nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
        sa.UniqueConstraint("schedule_id", "nominal_at", name="uq_tick"),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("schedule_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("nominal_at", TS, nullable=True))
        batch.add_column(sa.Column("trigger", sa.String(16), nullable=True))
        batch.add_column(sa.Column("not_before", TS, nullable=True))
        batch.add_column(sa.Column("bypass_limit", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("worker_pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("worker_host", sa.String(255), nullable=True))
        batch.create_foreign_key("fk_runs_schedule", "schedules", ["schedule_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_unique_constraint("uq_run_tick", ["schedule_id", "nominal_at"])
        batch.create_index("ix_runs_schedule_status", ["schedule_id", "status"])


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_schedule_status")
        batch.drop_constraint("uq_run_tick", type_="unique")
        batch.drop_constraint("fk_runs_schedule", type_="foreignkey")
        for col in ("worker_host", "worker_pid", "bypass_limit", "not_before", "trigger",
                    "nominal_at", "schedule_id"):
            batch.drop_column(col)
    op.drop_table("ticks")
    op.drop_index("ix_schedules_next_fire_at", "schedules")
    op.drop_table("schedules")
