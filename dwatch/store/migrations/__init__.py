"""Alembic migration scripts (run them with `dwatch db upgrade`)."""
