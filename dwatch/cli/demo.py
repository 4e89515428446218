"""`dwatch demo`: `dwatch up` run to completion, then the compliance summary a supervisor would read.

Everything `dwatch up --demo` starts (Temporal dev server, worker, site farm, inbox) runs headless on
free ports with its data under the data directory's `demo/`; one DeadlineSweep checks every demo
agency, and then everything stops. Running it again re-checks: the Temporal database and the
store are kept, unchanged reports are not downloaded again, findings are updated, not duplicated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from dwatch.cli import app
from dwatch.cli.common import console, say
from dwatch.cli.orchestration import run_command
from dwatch.cli.up import demo_required, embedded_settings, run_once
from dwatch.config import Settings
from dwatch.labels import COMPLIANCE_STATUS_ZH
from dwatch.reports.compliance import CHINA, ComplianceStatus, latest_due_year
from dwatch.store.database import Store
from dwatch.store.status import statuses


@app.command("demo")
def demo_command(
    agencies: Annotated[int, typer.Option(help="示范机关网站的数量")] = 30,
) -> None:
    """经 Temporal 在示范机关网站上完整运行一次主流程：抓取、解析、检查、存储、通知。"""
    demo_required()
    base = Settings.from_env()
    settings = embedded_settings(
        Settings.model_validate({"data_dir": base.data_dir / "demo"}), demo=True, private_ports=True
    )
    year = latest_due_year(datetime.now(CHINA))

    async def body() -> None:
        console.print(f"[bold]Disclosure Watch 示范运行[/]：{agencies} 个示范机关网站，{year} 年度报告")
        await run_once(settings, agencies)
        _summarise(settings, year)

    run_command(body)


def _summarise(settings: Settings, year: int) -> None:
    store = Store.open(settings)
    try:
        with store.session() as session:
            rows = statuses(session, year)
    finally:
        store.close()
    say("合规情况")
    order = list(ComplianceStatus)
    for row in sorted(rows, key=lambda r: (order.index(ComplianceStatus(r.status)), r.agency_id)):
        say(f"  {row.agency_id}　{COMPLIANCE_STATUS_ZH[row.status]}")
        if row.detail:
            say(f"    主要问题：{row.detail}")
    console.print(
        f"数据保存在 {settings.data_dir}（SQLite：{settings.database_url}）。"
        f"\n查看问题：DWATCH_DATA_DIR={settings.data_dir} dwatch findings --status open"
        f"\n查看某机关的完整记录（含工作流）：DWATCH_DATA_DIR={settings.data_dir} dwatch audit AGENCY_ID {year}"
        f"\n示范收件箱：DWATCH_DATA_DIR={settings.data_dir} dwatch notify inbox",
        highlight=False,
        soft_wrap=True,
    )
