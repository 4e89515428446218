"""`dwatch demo`: the main job on the embedded default, against a farm of sample agency sites.

Starts the site farm on loopback, registers its agencies in the SQLite store under the data
directory's `demo/`, crawls and archives every report, parses and checks it, records the findings
and prints the compliance summary a supervisor would read. Running it again re-checks: unchanged
reports are not downloaded again, and findings are updated, not duplicated.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from typing import Annotated

import typer
import yaml
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table as RichTable

from dwatch.cli import app
from dwatch.cli.common import console
from dwatch.config import Settings
from dwatch.crawling import crawl, load_agencies
from dwatch.review import Review, review_crawl
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry
from dwatch.store.tables import ComplianceStatus
from sitefarm import Farm, plan

_STATUS_ZH = {
    ComplianceStatus.COMPLIANT: "[green]合格[/]",
    ComplianceStatus.DEFECTIVE: "[red]存在错误[/]",
    ComplianceStatus.LATE: "[red]逾期发布[/]",
    ComplianceStatus.MISSING: "[yellow]未发布[/]",
    ComplianceStatus.UNREACHABLE: "[magenta]无法访问[/]",
    ComplianceStatus.UNPARSEABLE: "[magenta]无法解析[/]",
}


@app.command("demo")
def demo_command(
    agencies: Annotated[int, typer.Option(help="number of sample agency sites")] = 30,
    year: Annotated[int | None, typer.Option(help="report year (default: last year)")] = None,
) -> None:
    """Run the main job on sample agency sites: crawl, parse, check, store, summarise."""
    year = year or date.today().year - 1
    base = Settings.from_env()
    settings = Settings.model_validate(
        {"data_dir": base.data_dir / "demo", "crawl": base.crawl.model_copy(update=_LOCAL_POLITENESS)}
    )
    console.print(f"[bold]Disclosure Watch 示范运行[/]：{agencies} 个示范机关网站，{year} 年度报告")
    farm = Farm(plan(agencies, year), year)
    with console.status("正在启动示范网站…"):
        farm.prerender()
        farm.start()
    try:
        reviews = _run(settings, farm, year)
    finally:
        farm.stop()
    _summarise(reviews, settings)


# The farm is on this machine: loopback is allowed, and politeness can be brisk.
_LOCAL_POLITENESS = {"allow_private_addresses": True, "per_host_interval": 0.1, "retry_backoff": 0.2}


def _run(settings: Settings, farm: Farm, year: int) -> list[Review]:
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    try:
        registry = yaml.safe_dump(farm.registry("demo-gwb"), allow_unicode=True).encode("utf-8")
        with store.session() as session:
            import_registry(session, read_registry(registry, "yaml"))
            rows = load_agencies(session, [a.agency_id for a in farm.agencies])
        by_id = {row.id: row for row in rows}
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console) as bar:
            fetching = bar.add_task("抓取年度报告", total=len(rows))
            results = asyncio.run(crawl(store, rows, year, settings.crawl, on_done=lambda _: bar.advance(fetching)))
            checking = bar.add_task("解析与检查", total=len(results))
            reviews = []
            for result in results:
                reviews.append(review_crawl(store, by_id[result.agency_id], result))
                bar.advance(checking)
        return reviews
    finally:
        store.close()


def _summarise(reviews: list[Review], settings: Settings) -> None:
    table = RichTable(title="合规情况", title_justify="left")
    for column in ("机关", "状态", "错误", "警告"):
        table.add_column(column, no_wrap=True)
    table.add_column("主要问题", overflow="fold", ratio=1)
    for review in sorted(reviews, key=lambda r: (list(ComplianceStatus).index(r.status), r.agency_id)):
        problems = "；".join(review.top_findings) or review.detail
        table.add_row(
            review.agency_id, _STATUS_ZH[review.status], str(review.errors), str(review.warnings), escape(problems)
        )
    console.print(table)
    counts = Counter(r.status for r in reviews)
    console.print("　".join(f"{_STATUS_ZH[s]} {counts[s]}" for s in ComplianceStatus))
    console.print(
        f"数据保存在 {settings.data_dir}（SQLite：{settings.database_url}）。"
        f"\n查看问题：DWATCH_DATA_DIR={settings.data_dir} dwatch findings --status open"
        f"\n查看某机关的完整记录：DWATCH_DATA_DIR={settings.data_dir} dwatch audit AGENCY_ID YEAR",
        highlight=False,
    )
