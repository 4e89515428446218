"""Schema migrations, run through Alembic's API with the scripts packaged in `dwatch.store.migrations`."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from dwatch.store.database import make_engine

SCRIPT_LOCATION = "dwatch.store:migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # The engine goes through `attributes`, not the ini option: URLs may hold "%" and passwords.
    config.attributes["engine"] = engine
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    engine = make_engine(url, sqlite_foreign_keys=False)
    try:
        command.upgrade(alembic_config(engine), revision)
    finally:
        engine.dispose()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migration scripts packaged"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


class SchemaNotCurrentError(RuntimeError):
    def __init__(self) -> None:
        super().__init__("数据库结构不是最新版本，请先运行 dwatch db upgrade")


def ensure_current(engine: Engine) -> None:
    """The default SQLite file is created and migrated on first use (no set-up); other databases are
    shared by several services and must be upgraded explicitly (`dwatch db upgrade`), never by
    whichever process happens to start first."""
    if is_current(engine):
        return
    if engine.dialect.name != "sqlite":
        raise SchemaNotCurrentError
    upgrade(engine.url)
