"""Alembic environment: migrates the engine handed over by `dwatch.store.migrate` (online only)."""

from __future__ import annotations

from alembic import context

from dwatch.store.tables import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None or context.is_offline_mode():
    raise RuntimeError("run migrations through dwatch.store.migrate (dwatch db upgrade)")

with engine.connect() as connection:
    # render_as_batch: SQLite cannot ALTER constraints, so Alembic copies the table instead.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            # Foreign keys are off while batch mode copies tables; verify nothing was broken.
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"foreign key violations after migration: {broken[:5]}")
