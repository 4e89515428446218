"""`dwatch db upgrade`, and how every storage command opens the store."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from dwatch.cli import app
from dwatch.cli.common import fail, say
from dwatch.cli.framework import Typer
from dwatch.config import Settings
from dwatch.store import migrate
from dwatch.store.database import Store

db_app = Typer(help="数据库结构。")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Option(help="目标版本")] = "head",
) -> None:
    """创建或升级数据库结构（Alembic 迁移）。"""
    settings = Settings.from_env()
    try:
        migrate.upgrade(settings.database_url, revision)
    except OperationalError as exc:
        raise fail(f"无法连接数据库：{exc.orig}") from exc
    say(f"数据库结构已升级到 {revision}")


def open_store() -> Store:
    """The configured store, its schema current (`migrate.ensure_current`)."""
    store = Store.open(Settings.from_env())
    try:
        migrate.ensure_current(store.engine)
    except migrate.SchemaNotCurrentError as exc:
        raise fail(str(exc)) from exc
    except OperationalError as exc:
        raise fail(f"无法连接数据库：{exc.orig}") from exc
    return store
