"""Workflow runs (linked from documents, reports and check runs) and notifications.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PRODUCED_BY_RUN = ("documents", "reports", "check_runs")


def upgrade() -> None:
    op.create_table(
        "workflow_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.UniqueConstraint("workflow_id", "run_id"),
        sa.CheckConstraint("status IN ('running', 'completed', 'failed', 'cancelled')", name="status"),
    )
    for table in PRODUCED_BY_RUN:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("workflow_run_id", sa.Integer, nullable=True))
            batch.create_foreign_key(
                f"fk_{table}_workflow_run_id_workflow_runs", "workflow_runs", ["workflow_run_id"], ["id"]
            )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("workflow_run_id", sa.Integer, sa.ForeignKey("workflow_runs.id"), nullable=True),
        sa.Column("supervisor_id", sa.String(64), sa.ForeignKey("supervisors.id"), nullable=True),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("target_masked", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
    )
    op.create_table(
        "notification_findings",
        sa.Column("notification_id", sa.Integer, sa.ForeignKey("notifications.id"), primary_key=True),
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id"), primary_key=True, index=True),
    )
    op.create_table(
        "notification_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("notification_id", sa.Integer, sa.ForeignKey("notifications.id"), nullable=False, index=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )


def downgrade() -> None:
    for table in ("notification_attempts", "notification_findings", "notifications"):
        op.drop_table(table)
    for table in PRODUCED_BY_RUN:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_workflow_run_id_workflow_runs", type_="foreignkey")
            batch.drop_column("workflow_run_id")
    op.drop_table("workflow_runs")
