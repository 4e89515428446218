"""`dwatch web` (the dashboard and JSON API) and `dwatch users` (who may sign in to it).

Users live in the database (table `web_users`, migration 0005), passwords scrypt-hashed.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape

from dwatch.cli import app
from dwatch.cli.common import console, fail
from dwatch.cli.db import open_store
from dwatch.config import Settings
from dwatch.observability.logs import configure_logging
from dwatch.store.users import disable_user, list_users, save_user
from dwatch.web.security import ROLE_ZH, Role, hash_password, roles_of

PASSWORD_ENV = "DWATCH_USER_PASSWORD"
MIN_PASSWORD_LENGTH = 10

users_app = typer.Typer(help="Users of the dashboard and API.", no_args_is_help=True)
app.add_typer(users_app, name="users")


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run the web server in the foreground (also what `dwatch up` starts)."""
    import uvicorn

    from dwatch.web.app import create_app

    store = open_store()
    configure_logging(settings.observability)
    uvicorn.run(
        create_app(settings, store),
        host=host or settings.web.host,
        port=port or settings.web.port,
        proxy_headers=False,
        log_level="info",
        log_config=None,  # uvicorn's loggers go to the root handler of `configure_logging`
    )


@app.command("web")
def web_command(
    host: Annotated[str | None, typer.Option(help="address to listen on (default: DWATCH_WEB__HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: DWATCH_WEB__PORT)")] = None,
) -> None:
    """Serve the dashboard (zh-CN pages) and the JSON API (/api/v1, OpenAPI at /api/openapi.json)."""
    settings = Settings.from_env()
    console.print(
        f"Disclosure Watch 网页服务：http://{host or settings.web.host}:{port or settings.web.port}/", highlight=False
    )
    serve(settings, host, port)


@users_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="user name", show_default=False)],
    role: Annotated[list[Role], typer.Option("--role", help="supervisor, ops or auditor (repeatable)")],
) -> None:
    """Create a user, or reset an existing user's password and roles (its sessions end).

    The password is read from DWATCH_USER_PASSWORD, else prompted for."""
    password = os.environ.get(PASSWORD_ENV) or typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise fail(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符")
    store = open_store()
    try:
        with store.session() as session:
            save_user(session, name, hash_password(password), [r.value for r in role])
    finally:
        store.close()
    console.print(f"已保存用户 {escape(name)}（{'、'.join(ROLE_ZH[r] for r in role)}）", highlight=False)


@users_app.command("list")
def list_command() -> None:
    """List users and their roles."""
    store = open_store()
    try:
        with store.session() as session:
            for user in list_users(session):
                state = "" if user.active else "（已停用）"
                roles = "、".join(ROLE_ZH[r] for r in roles_of(user.roles))
                console.print(f"{escape(user.name)}\t{roles}{state}", highlight=False)
    finally:
        store.close()


@users_app.command("disable")
def disable_command(name: Annotated[str, typer.Argument(help="user name", show_default=False)]) -> None:
    """Disable a user: sign-in refused, sessions and tokens void at once."""
    store = open_store()
    try:
        with store.session() as session:
            found = disable_user(session, name)
    finally:
        store.close()
    if not found:
        raise fail(f"用户“{name}”不存在", code=1)
    console.print(f"已停用用户 {escape(name)}", highlight=False)
