"""Status history: drop `operation_key`, which no caller ever set (a retried review is made safe by the
notifications' idempotency keys and the status row lock, not by this column).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agency_status_events") as batch:
        batch.drop_constraint("uq_agency_status_events_operation_key", type_="unique")
        batch.drop_column("operation_key")


def downgrade() -> None:
    with op.batch_alter_table("agency_status_events") as batch:
        batch.add_column(sa.Column("operation_key", sa.String(200), nullable=True))
        batch.create_unique_constraint("uq_agency_status_events_operation_key", ["operation_key"])
