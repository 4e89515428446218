"""Registry, documents, reports, check runs and findings.

Revision ID: 0001
Revises:
Create Date: 2025-01-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "supervisors",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_id", sa.String(64), sa.ForeignKey("supervisors.id"), nullable=True),
        sa.Column("notify", JSON, nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
    )
    op.create_table(
        "agencies",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("supervisor_id", sa.String(64), sa.ForeignKey("supervisors.id"), nullable=False, index=True),
        sa.Column("base_url", sa.Text, nullable=False),
        sa.Column("listing_urls", JSON, nullable=False),
        sa.Column("allowed_hosts", JSON, nullable=False),
        sa.Column("selectors", JSON, nullable=True),
        sa.Column("deadline", sa.String(5), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("kind IN ('department', 'government')", name="kind"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agency_id", sa.String(64), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("report_year", sa.Integer, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("final_url", sa.Text, nullable=False),
        sa.Column("http_status", sa.Integer, nullable=True),
        sa.Column("http_headers", JSON, nullable=False),
        sa.Column("published_on", sa.Date, nullable=True),
        sa.Column("published_source", sa.String(16), nullable=True),
        sa.Column("published_raw", sa.Text, nullable=True),
        _timestamp("fetched_at"),
        _timestamp("last_fetched_at"),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("url", "version"),
        sa.Index("ix_documents_agency_year", "agency_id", "report_year"),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id"), nullable=False, index=True),
        sa.Column("schema_version", sa.String(16), nullable=False),
        _timestamp("parsed_at"),
        sa.Column("content", JSON, nullable=False),
    )
    op.create_table(
        "check_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agency_id", sa.String(64), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("report_year", sa.Integer, nullable=False),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id"), nullable=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), nullable=True),
        sa.Column("catalogue_version", sa.String(32), nullable=False),
        sa.Column("rules", JSON, nullable=False),
        _timestamp("checked_at"),
        sa.Column("finding_count", sa.Integer, nullable=False),
        sa.Index("ix_check_runs_agency_year", "agency_id", "report_year"),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agency_id", sa.String(64), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("report_year", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(32), nullable=False),
        sa.Column("catalogue_version", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("message_zh", sa.Text, nullable=False),
        sa.Column("message_en", sa.Text, nullable=False),
        sa.Column("arguments", JSON, nullable=False),
        sa.Column("location", JSON, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _timestamp("status_changed_at"),
        sa.Column("status_by", sa.String(100), nullable=False),
        sa.Column("status_reason", sa.Text, nullable=True),
        sa.Column("status_check_run_id", sa.Integer, sa.ForeignKey("check_runs.id"), nullable=True),
        _timestamp("first_seen_at"),
        _timestamp("last_seen_at"),
        sa.Column("times_seen", sa.Integer, nullable=False),
        sa.Column("first_check_run_id", sa.Integer, sa.ForeignKey("check_runs.id"), nullable=False),
        sa.Column("last_check_run_id", sa.Integer, sa.ForeignKey("check_runs.id"), nullable=False),
        sa.Column("last_document_id", sa.Integer, sa.ForeignKey("documents.id"), nullable=True),
        sa.UniqueConstraint("agency_id", "report_year", "fingerprint"),
        sa.CheckConstraint("status IN ('open', 'acknowledged', 'waived', 'resolved')", name="status"),
        sa.Index("ix_findings_status", "status"),
    )
    op.create_table(
        "finding_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id"), nullable=False, index=True),
        _timestamp("at"),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("check_run_id", sa.Integer, sa.ForeignKey("check_runs.id"), nullable=True),
    )
    op.create_table(
        "check_run_findings",
        sa.Column("check_run_id", sa.Integer, sa.ForeignKey("check_runs.id"), primary_key=True),
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id"), primary_key=True, index=True),
    )


def downgrade() -> None:
    for table in (
        "check_run_findings",
        "finding_events",
        "findings",
        "check_runs",
        "reports",
        "documents",
        "agencies",
        "supervisors",
    ):
        op.drop_table(table)
