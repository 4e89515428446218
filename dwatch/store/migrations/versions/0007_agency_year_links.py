"""Which agency-years each workflow run and each notification was about.

A missing or unreachable report has no document and no finding: its report run, the sweeps that
started or joined it and the escalations about it were linked to nothing an audit could follow.
Rows recorded before are linked where their ids say it: a report run by its workflow id
`report/{agency}/{year}`, an alert, resolved notice or escalation by its idempotency key. Digests
recorded before are not (their key names the supervisor, not the agencies they listed).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Frozen here, as the keys were written: agency ids follow the registry's identifier pattern.
_AGENCY = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
_REPORT_RUN = re.compile(rf"^report/({_AGENCY})/(\d{{4}})$")
_ABOUT_ONE = re.compile(rf":(?:immediate|resolved|escalation):({_AGENCY}):(\d{{4}})(?::|$)")


def _link_table(name: str, owner: str, owner_table: str) -> None:
    op.create_table(
        name,
        sa.Column(owner, sa.Integer, sa.ForeignKey(f"{owner_table}.id"), primary_key=True),
        sa.Column("agency_id", sa.String(64), sa.ForeignKey("agencies.id"), primary_key=True),
        sa.Column("report_year", sa.Integer, primary_key=True),
    )
    op.create_index(f"ix_{name}_agency_year", name, ["agency_id", "report_year"])


def upgrade() -> None:
    _link_table("workflow_run_agency_years", "workflow_run_id", "workflow_runs")
    _link_table("notification_agency_years", "notification_id", "notifications")
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    agencies = set(bind.execute(sa.text("SELECT id FROM agencies")).scalars())
    runs = bind.execute(sa.text("SELECT id, workflow_id FROM workflow_runs WHERE kind = 'report'"))
    run_links = [
        {"workflow_run_id": pk, "agency_id": m[1], "report_year": int(m[2])}
        for pk, workflow_id in runs
        if (m := _REPORT_RUN.match(workflow_id)) and m[1] in agencies
    ]
    notifications = bind.execute(sa.text("SELECT id, idempotency_key FROM notifications"))
    notification_links = [
        {"notification_id": pk, "agency_id": m[1], "report_year": int(m[2])}
        for pk, key in notifications
        if (m := _ABOUT_ONE.search(key)) and m[1] in agencies
    ]
    if run_links:
        table = sa.table("workflow_run_agency_years", *(sa.column(c) for c in run_links[0]))
        bind.execute(table.insert(), run_links)
    if notification_links:
        table = sa.table("notification_agency_years", *(sa.column(c) for c in notification_links[0]))
        bind.execute(table.insert(), notification_links)


def downgrade() -> None:
    for name in ("notification_agency_years", "workflow_run_agency_years"):
        op.drop_index(f"ix_{name}_agency_year", name)
        op.drop_table(name)
