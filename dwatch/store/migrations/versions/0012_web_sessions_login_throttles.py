"""Open web sessions and API tokens (signing out and password changes end them), and sign-in throttling.

A session is now valid while its row exists, so the users' `tokens_valid_after` goes. Sessions and
tokens issued before this revision carry no session id and are refused: everyone signs in once more.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Before web_sessions refers to web_users: SQLite's batch mode copies the table.
    with op.batch_alter_table("web_users") as batch:
        batch.drop_column("tokens_valid_after")
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "user_name",
            sa.String(100),
            sa.ForeignKey("web_users.name", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("web_users") as batch:
        batch.add_column(
            sa.Column("tokens_valid_after", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
        )
    op.drop_table("login_throttles")
    op.drop_table("web_sessions")
