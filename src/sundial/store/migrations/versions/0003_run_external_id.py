"""runs carry the orchestrator's own key for them (e.g. an Airflow DAG run); schedules
that live on an orchestrator keep its reference to them

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("external_id", sa.String(255), nullable=True))
        batch.create_unique_constraint("uq_run_external_id", ["external_id"])
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("native_ref", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("native_ref")
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("uq_run_external_id", type_="unique")
        batch.drop_column("external_id")
