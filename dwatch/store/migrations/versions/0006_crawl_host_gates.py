"""Per-host crawl politeness shared by every crawl worker process.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Migrations stay frozen: they spell the JSON type out rather than import it from the models.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_host_gates",
        sa.Column("host", sa.String(300), primary_key=True),
        sa.Column("next_start", sa.Float, nullable=False),
        sa.Column("leases", JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("crawl_host_gates")
