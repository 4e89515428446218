"""Compliance status `needs_review` (待人工核对): a report read in part only (tables as images, a scan,
OCR of low confidence) is neither compliant nor accused; a person verifies it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_BEFORE = ("compliant", "defective", "late", "missing", "unreachable", "unparseable")
_AFTER = (*_BEFORE, "needs_review")


def _check(values: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("agency_status") as batch:
        batch.drop_constraint("status", type_="check")  # ck_agency_status_status by the naming convention
        batch.create_check_constraint("status", _check(_AFTER))


def downgrade() -> None:
    op.execute("UPDATE agency_status SET status = 'defective' WHERE status = 'needs_review'")
    with op.batch_alter_table("agency_status") as batch:
        batch.drop_constraint("status", type_="check")  # ck_agency_status_status by the naming convention
        batch.create_check_constraint("status", _check(_BEFORE))
