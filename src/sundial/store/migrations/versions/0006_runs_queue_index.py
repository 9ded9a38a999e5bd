"""runs get the dispatcher's indexes: ix_runs_queue (status, schedule_id, nominal_at), a
schedule's queued runs in tick order, replaces the index on status; ix_runs_bypass (status,
bypass_limit) finds the few that bypass their schedule's limit. Starting runs then costs the
runs started, not a catch-up's whole backlog.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_runs_queue", "runs", ["status", "schedule_id", "nominal_at"])
    op.create_index("ix_runs_bypass", "runs", ["status", "bypass_limit"])
    op.drop_index("ix_runs_status", table_name="runs")


def downgrade() -> None:
    op.create_index("ix_runs_status", "runs", ["status"])
    op.drop_index("ix_runs_queue", table_name="runs")
    op.drop_index("ix_runs_bypass", table_name="runs")
