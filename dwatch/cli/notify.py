"""`dwatch notify test|preview|inbox`: try a supervisor's channels, preview a digest, read the demo inbox."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from dwatch.alerts.delivery import Delivery
from dwatch.alerts.inbox import read_inbox
from dwatch.alerts.messages import Format
from dwatch.alerts.service import UnknownSupervisorError, preview_digest, send_test
from dwatch.cli import app
from dwatch.cli.common import console, fail
from dwatch.cli.db import open_store
from dwatch.config import Settings
from dwatch.reports.compliance import CHINA, latest_due_year

notify_app = typer.Typer(help="Alerts to supervisors.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")

_STATUS_ZH = {"sent": "[green]已发送[/]", "failed": "[red]失败[/]", "duplicate": "重复（未再发送）"}


@notify_app.command("test")
def test_command(
    supervisor: Annotated[str, typer.Argument(help="supervisor id", show_default=False)],
) -> None:
    """Send a real test message through each channel configured for the supervisor."""
    settings = Settings.from_env()
    store = open_store()
    try:
        deliveries = send_test(store, settings, supervisor)
    except UnknownSupervisorError as exc:
        raise fail(f"监督机构“{supervisor}”不存在", code=1) from exc
    finally:
        store.close()
    if not deliveries:
        raise fail(f"监督机构“{supervisor}”没有配置通知地址", code=1)
    _print_deliveries(deliveries)
    if any(d.status == "failed" for d in deliveries):
        raise typer.Exit(1)


def _print_deliveries(deliveries: list[Delivery]) -> None:
    table = RichTable(title="测试消息", title_justify="left")
    for column in ("通道", "地址（已掩码）", "结果", "尝试次数"):
        table.add_column(column, no_wrap=True)
    table.add_column("错误", overflow="fold", ratio=1)
    for d in deliveries:
        table.add_row(escape(d.channel), escape(d.target), _STATUS_ZH[d.status], str(d.attempts), escape(d.error or ""))
    console.print(table)


@notify_app.command("preview")
def preview_command(
    supervisor: Annotated[str, typer.Argument(help="supervisor id", show_default=False)],
    year: Annotated[int | None, typer.Option(help="report year (default: last year)")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text, markdown or html")] = Format.TEXT,
) -> None:
    """Render the digest the supervisor would receive now, without sending it."""
    settings = Settings.from_env()
    store = open_store()
    try:
        rendered = preview_digest(store, settings, supervisor, year or latest_due_year(datetime.now(CHINA)), fmt)
    except UnknownSupervisorError as exc:
        raise fail(f"监督机构“{supervisor}”不存在", code=1) from exc
    finally:
        store.close()
    console.out(f"主题：{rendered.subject}\n\n{rendered.body}", highlight=False)


@notify_app.command("inbox")
def inbox_command(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """List the messages the demo inbox received."""
    messages = read_inbox(Settings.from_env().data_dir)
    if as_json:
        console.out(json.dumps([m.model_dump(mode="json") for m in messages], ensure_ascii=False, indent=2))
        return
    table = RichTable(title=f"示范收件箱（{len(messages)}）", title_justify="left")
    for column in ("收到时间", "通道", "收件人"):
        table.add_column(column, no_wrap=True)
    table.add_column("主题", overflow="fold", ratio=1)
    for m in messages:
        recipient = "、".join(m.recipients) or (m.path or "")
        table.add_row(f"{m.received_at:%Y-%m-%d %H:%M:%S}Z", m.channel, escape(recipient), escape(m.subject))
    console.print(table)
