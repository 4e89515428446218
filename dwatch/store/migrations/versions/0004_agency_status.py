"""The compliance status of each agency-year (current, and every change).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_STATUSES = "('compliant', 'defective', 'late', 'missing', 'unreachable', 'unparseable')"


def upgrade() -> None:
    op.create_table(
        "agency_status",
        sa.Column("agency_id", sa.String(64), sa.ForeignKey("agencies.id"), primary_key=True),
        sa.Column("report_year", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id"), nullable=True),
        sa.Column("check_run_id", sa.Integer, sa.ForeignKey("check_runs.id"), nullable=True),
        sa.Column("workflow_run_id", sa.Integer, sa.ForeignKey("workflow_runs.id"), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN {_STATUSES}", name="status"),
    )
    op.create_table(
        "agency_status_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("operation_key", sa.String(200), nullable=True),
        sa.Column("agency_id", sa.String(64), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("report_year", sa.Integer, nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id"), nullable=True),
        sa.Column("workflow_run_id", sa.Integer, sa.ForeignKey("workflow_runs.id"), nullable=True),
        sa.UniqueConstraint("operation_key"),
    )
    op.create_index("ix_agency_status_events_agency_year", "agency_status_events", ["agency_id", "report_year"])


def downgrade() -> None:
    op.drop_index("ix_agency_status_events_agency_year", "agency_status_events")
    op.drop_table("agency_status_events")
    op.drop_table("agency_status")
