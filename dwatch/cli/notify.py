"""`dwatch notify test|preview|inbox`: try a supervisor's channels, preview a digest, read the demo inbox."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from dwatch.alerts.delivery import Delivery
from dwatch.alerts.inbox import read_inbox
from dwatch.alerts.messages import Format
from dwatch.alerts.service import UnknownSupervisorError, preview_digest, send_test
from dwatch.cli import app
from dwatch.cli.common import console, fail, say
from dwatch.cli.db import open_store
from dwatch.cli.framework import Typer
from dwatch.config import Settings
from dwatch.reports.compliance import CHINA, latest_due_year
from dwatch.timefmt import local_minute
from dwatch.untrusted import plain

notify_app = Typer(help="向监督机构发送的通知。")
app.add_typer(notify_app, name="notify")

_STATUS_ZH = {"sent": "已发送", "failed": "失败", "duplicate": "重复（未再发送）"}


@notify_app.command("test")
def test_command(
    supervisor: Annotated[str, typer.Argument(help="监督机构编号", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """经监督机构配置的每个通道发送一条真实的测试消息。"""
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
    if as_json:
        console.out(json.dumps([d.model_dump(mode="json") for d in deliveries], ensure_ascii=False, indent=2))
    else:
        _print_deliveries(deliveries)
    if any(d.status == "failed" for d in deliveries):
        raise typer.Exit(1)


def _print_deliveries(deliveries: list[Delivery]) -> None:
    """One line per channel, its (masked) address whole on a line of its own, then the error if any."""
    say("测试消息")
    for d in deliveries:
        say(f"  {d.channel}　{_STATUS_ZH[d.status]}　尝试 {d.attempts} 次")
        say(f"    地址（已掩码）{d.target}")
        if d.error:
            say(f"    错误：{d.error}")


@notify_app.command("preview")
def preview_command(
    supervisor: Annotated[str, typer.Argument(help="监督机构编号", show_default=False)],
    year: Annotated[int | None, typer.Option(help="报告年度（默认：最近一个已到期的年度）")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="输出格式：纯文本、Markdown 或 HTML")] = Format.TEXT,
) -> None:
    """生成监督机构此刻会收到的汇总通知，但不发送。"""
    settings = Settings.from_env()
    store = open_store()
    try:
        rendered = preview_digest(store, settings, supervisor, year or latest_due_year(datetime.now(CHINA)), fmt)
    except UnknownSupervisorError as exc:
        raise fail(f"监督机构“{supervisor}”不存在", code=1) from exc
    finally:
        store.close()
    console.out(plain(f"主题：{rendered.subject}\n\n{rendered.body}"), highlight=False)


@notify_app.command("inbox")
def inbox_command(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """列出示范收件箱收到的消息。"""
    messages = read_inbox(Settings.from_env().data_dir)
    if as_json:
        console.out(
            json.dumps([m.model_dump(mode="json") for m in messages], ensure_ascii=False, indent=2), highlight=False
        )
        return
    say(f"示范收件箱（{len(messages)}）")
    for m in messages:
        recipient = "、".join(m.recipients) or (m.path or "")
        say(f"  {local_minute(m.received_at)}　{m.channel}　{recipient}")
        say(f"    主题：{m.subject}")
