"""The technical detail of a crawl failure (English, for ops) beside the agency-year's Chinese reason.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agency_status") as batch:
        batch.add_column(sa.Column("failure_detail", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agency_status") as batch:
        batch.drop_column("failure_detail")
