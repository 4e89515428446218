"""`INSERT … ON CONFLICT` for the dialect in use (SQLite and PostgreSQL spell it the same way)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Any) -> Any:
    """A dialect-specific insert of `table`, which has `on_conflict_do_update/do_nothing`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for database dialect {dialect!r}")
