"""`dwatch discover` and `dwatch fetch`: find (and archive) agencies' reports, for ops."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from dwatch.cli import app
from dwatch.cli.common import console, fail
from dwatch.cli.db import open_store
from dwatch.config import Settings
from dwatch.crawling import crawl, load_agencies
from dwatch.reports.compliance import CHINA, latest_due_year
from dwatch.workflows.models import CrawlResult

_OUTCOME_ZH = {"found": "[green]已找到[/]", "missing": "[yellow]未发布[/]", "unreachable": "[red]无法访问[/]"}

AgencyIds = Annotated[list[str] | None, typer.Argument(help="agency ids; none means every active agency")]
Year = Annotated[int | None, typer.Option("--year", help="report year (default: last year)")]
AsJson = Annotated[bool, typer.Option("--json", help="print the results as JSON")]


@app.command("discover")
def discover_command(agency: AgencyIds = None, year: Year = None, as_json: AsJson = False) -> None:
    """Find each agency's report for the year on its site, without archiving it."""
    _run(agency, year, keep=False, as_json=as_json)


@app.command("fetch")
def fetch_command(agency: AgencyIds = None, year: Year = None, as_json: AsJson = False) -> None:
    """Find and download each agency's report into the archive (a new version when it changed)."""
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
        console.out(json.dumps([r.model_dump(mode="json") for r in results], ensure_ascii=False, indent=2))
        return
    _print(results, keep)


def _print(results: list[CrawlResult], keep: bool) -> None:
    table = RichTable(title=f"{len(results)} 个机关", title_justify="left")
    for column in ("机关", "结果", "发布日期", "文件" if keep else "网址"):
        table.add_column(column, no_wrap=column != "网址")
    table.add_column("说明", overflow="fold", ratio=1)
    for r in results:
        if keep and r.version is not None:
            state = "未变化" if r.not_modified or not r.new_version else "新版本"
            document = f"第{r.version}版（{state}）"
        else:
            document = escape(r.document_url or "")
        notes = escape(r.reason) + ("；证书无效（已按配置允许）" if r.insecure_tls else "")
        table.add_row(r.agency_id, _OUTCOME_ZH[r.outcome.value], str(r.published or ""), document, notes)
    console.print(table)
