"""Document versions are numbered per agency-year, not per URL.

A report is its agency-year and its bytes: the same bytes found at another URL (the site moved to
HTTPS, to another host, or the demo's sites to another port) are the same version, and a version is
new only when the bytes change. The unique (url, version) becomes (agency_id, report_year, version).

Rows recorded before are renumbered the same way: in the order they were fetched, a row whose bytes
equal the version before it is folded into that version (what referred to it now refers to the
version; the version keeps the newest place it was seen), the others are numbered 1, 2, … per
agency-year.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Frozen here: the JSON type and the columns that refer to a document, as they are at this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_REFERRING = (
    ("reports", "document_id"),
    ("check_runs", "document_id"),
    ("findings", "last_document_id"),
    ("agency_status", "document_id"),
    ("agency_status_events", "document_id"),
)
_SIGHTING = ("url", "final_url", "http_status", "http_headers", "last_fetched_at")
_documents = sa.table(
    "documents",
    sa.column("id", sa.Integer),
    sa.column("agency_id", sa.String),
    sa.column("report_year", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("fetched_at", sa.DateTime(timezone=True)),
    sa.column("url", sa.Text),
    sa.column("final_url", sa.Text),
    sa.column("http_status", sa.Integer),
    sa.column("http_headers", JSON),
    sa.column("last_fetched_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint("uq_documents_url_version", type_="unique")
    _renumber(op.get_bind())
    with op.batch_alter_table("documents") as batch:
        batch.create_unique_constraint(
            "uq_documents_agency_id_report_year_version", ["agency_id", "report_year", "version"]
        )


def _renumber(bind: sa.Connection) -> None:
    d = _documents.c
    rows = bind.execute(sa.select(_documents).order_by(d.agency_id, d.report_year, d.fetched_at, d.id)).mappings()
    for _, group in groupby(rows.all(), key=lambda r: (r["agency_id"], r["report_year"])):
        kept: dict[str, Any] | None = None
        version = 0
        for row in group:
            if kept is not None and row["sha256"] == kept["sha256"]:
                _fold(bind, row, kept)
                continue
            version += 1
            kept = dict(row)
            if row["version"] != version:
                bind.execute(sa.update(_documents).where(d.id == row["id"]).values(version=version))


def _fold(bind: sa.Connection, row: sa.RowMapping, kept: dict[str, Any]) -> None:
    """Fold `row` (the same bytes as the version `kept`) into that version."""
    for table, column in _REFERRING:
        referring = sa.table(table, sa.column(column, sa.Integer))
        bind.execute(sa.update(referring).where(referring.c[column] == row["id"]).values({column: kept["id"]}))
    if row["last_fetched_at"] >= kept["last_fetched_at"]:
        kept.update({name: row[name] for name in _SIGHTING})
        bind.execute(
            sa.update(_documents).where(_documents.c.id == kept["id"]).values({name: row[name] for name in _SIGHTING})
        )
    bind.execute(sa.delete(_documents).where(_documents.c.id == row["id"]))


def downgrade() -> None:
    # Versions stay numbered per agency-year; (url, version) holds unless one URL served two agency-years.
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint("uq_documents_agency_id_report_year_version", type_="unique")
        batch.create_unique_constraint("uq_documents_url_version", ["url", "version"])
