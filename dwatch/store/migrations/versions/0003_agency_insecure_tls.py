"""Agencies: accept an invalid TLS certificate per agency (each fetch then reports ACCESS-01).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("insecure_tls", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("insecure_tls")
