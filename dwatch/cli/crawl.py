"""`dwatch discover` and `dwatch fetch`: find (and archive) agencies' reports, for ops."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dwatch.cli import app
from dwatch.cli.common import console, fail, say
from dwatch.cli.db import open_store
from dwatch.config import Settings
from dwatch.crawling import crawl, load_agencies
from dwatch.reports.compliance import CHINA, latest_due_year
from dwatch.workflows.models import CrawlResult

_OUTCOME_ZH = {"found": "已找到", "missing": "未发布", "unreachable": "无法访问"}

AgencyIds = Annotated[list[str] | None, typer.Argument(help="机关编号；不指定则为全部启用的机关")]
Year = Annotated[int | None, typer.Option("--year", help="报告年度（默认：最近一个已到期的年度）")]
AsJson = Annotated[bool, typer.Option("--json", help="以 JSON 输出结果")]


@app.command("discover")
def discover_command(agency: AgencyIds = None, year: Year = None, as_json: AsJson = False) -> None:
    """在各机关网站上查找该年度的报告，不存档。"""
    _run(agency, year, keep=False, as_json=as_json)


@app.command("fetch")
def fetch_command(agency: AgencyIds = None, year: Year = None, as_json: AsJson = False) -> None:
    """查找并下载各机关的报告存档（有变化时存为新版本）。"""
    _run(agency, year, keep=True, as_json=as_json)


def _run(agency_ids: list[str] | None, year: int | None, *, keep: bool, as_json: bool) -> None:
    year = year or latest_due_year(datetime.now(CHINA))
    settings = Settings.from_env()
    store = open_store()
    try:
        with store.session() as session:
            try:
                agencies = load_agencies(session, agency_ids)
            except KeyError as exc:
                raise fail(f"登记册中没有这些机关：{'、'.join(exc.args[0])}") from exc
        if not agencies:
            raise fail("登记册中没有启用的机关")
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=as_json,
        ) as progress:
            task = progress.add_task(f"{'抓取' if keep else '查找'}{year}年度报告", total=len(agencies))
            results = asyncio.run(
                crawl(store, agencies, year, settings.crawl, keep=keep, on_done=lambda _: progress.advance(task))
            )
    finally:
        store.close()
    if as_json:
        console.out(
            json.dumps([r.model_dump(mode="json") for r in results], ensure_ascii=False, indent=2), highlight=False
        )
        return
    _print(results, keep)


def _print(results: list[CrawlResult], keep: bool) -> None:
    """One line per agency, then its report's URL whole on a line of its own and the reason."""
    say(f"{len(results)} 个机关")
    for r in results:
        published = f"　发布 {r.published}" if r.published else ""
        document = ""
        if keep and r.version is not None:
            document = f"　第{r.version}版（{'未变化' if r.not_modified or not r.new_version else '新版本'}）"
        say(f"  {r.agency_id}　{_OUTCOME_ZH[r.outcome.value]}{published}{document}")
        if r.document_url:
            say(f"    {r.document_url}")
        notes = [r.reason] if r.reason else []
        if r.insecure_tls:
            notes.append("证书无效（已按配置允许）")
        if notes:
            say(f"    说明：{'；'.join(notes)}")
