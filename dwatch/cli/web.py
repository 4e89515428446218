"""`dwatch web` (the dashboard and JSON API) and `dwatch users` (who may sign in to it).

Users live in the database (table `web_users`, migration 0005), passwords scrypt-hashed.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from dwatch.cli import app
from dwatch.cli.common import console, fail, say
from dwatch.cli.db import open_store
from dwatch.cli.framework import Typer
from dwatch.config import Settings
from dwatch.observability.logs import configure_logging
from dwatch.store.users import disable_user, list_users, save_user
from dwatch.web.security import ROLE_ZH, Role, hash_password, roles_of

PASSWORD_ENV = "DWATCH_USER_PASSWORD"
MIN_PASSWORD_LENGTH = 10

users_app = Typer(help="监督看板与 API 的用户。")
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
    host: Annotated[str | None, typer.Option(help="监听地址（默认：DWATCH_WEB__HOST）")] = None,
    port: Annotated[int | None, typer.Option(help="端口（默认：DWATCH_WEB__PORT）")] = None,
) -> None:
    """运行监督看板和 JSON API（/api/v1，OpenAPI 见 /api/openapi.json）。"""
    settings = Settings.from_env()
    console.print(
        f"Disclosure Watch 网页服务：http://{host or settings.web.host}:{port or settings.web.port}/",
        highlight=False,
        soft_wrap=True,
    )
    serve(settings, host, port)


@users_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="用户名", show_default=False)],
    role: Annotated[list[Role], typer.Option("--role", help="角色：supervisor 监督、ops 运维、auditor 审计")],
) -> None:
    """新建用户，或重设已有用户的密码和角色（其会话随即失效）。

    密码取自环境变量 DWATCH_USER_PASSWORD，未设置时提示输入。"""
    password = os.environ.get(PASSWORD_ENV) or _prompt_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise fail(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符")
    store = open_store()
    try:
        with store.session() as session:
            save_user(session, name, hash_password(password), [r.value for r in role])
    finally:
        store.close()
    say(f"已保存用户 {name}（{'、'.join(ROLE_ZH[r] for r in role)}）")


def _prompt_password() -> str:
    # Asked twice by hand: typer's own confirmation prompt and its mismatch error are English.
    password: str = typer.prompt("密码", hide_input=True, prompt_suffix="：")
    if typer.prompt("再次输入密码", hide_input=True, prompt_suffix="：") != password:
        raise fail("两次输入的密码不一致")
    return password


@users_app.command("list")
def list_command() -> None:
    """列出用户及其角色。"""
    store = open_store()
    try:
        with store.session() as session:
            for user in list_users(session):
                state = "" if user.active else "（已停用）"
                roles = "、".join(ROLE_ZH[r] for r in roles_of(user.roles))
                say(f"{user.name}\t{roles}{state}")
    finally:
        store.close()


@users_app.command("disable")
def disable_command(name: Annotated[str, typer.Argument(help="用户名", show_default=False)]) -> None:
    """停用用户：拒绝登录，会话和令牌立即失效。"""
    store = open_store()
    try:
        with store.session() as session:
            found = disable_user(session, name)
    finally:
        store.close()
    if not found:
        raise fail(f"用户“{name}”不存在", code=1)
    say(f"已停用用户 {name}")
