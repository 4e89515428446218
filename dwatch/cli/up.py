"""`dwatch up`: the embedded default, everything on this machine, until Ctrl-C.

On the office's own registry (`dwatch registry import`): the Temporal dev server (persistent in the
data directory, UI on :8233, the project's search attributes registered), the workers, the dashboard
and the deadline schedules (kept in step with the registry); the agencies not yet checked for the
latest due reporting year are swept at once, with production politeness. `--demo` adds the sample
agency sites and the demo supervisors' inbox (`dwatch.demo`) and crawls them briskly on loopback.
Ctrl-C stops everything, the workers first (they finish what they hold; Temporal resumes the rest at
the next start).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.markup import escape
from sqlalchemy import func, select

from dwatch import ops
from dwatch.cli import app
from dwatch.cli.common import console, fail, say
from dwatch.cli.orchestration import follow_sweep, print_counts, run_command
from dwatch.config import Settings
from dwatch.demo import DEMO_INSTALL, DemoUnavailableError, require_demo
from dwatch.observability.runtime import instrumentation
from dwatch.reports.compliance import CHINA, latest_due_year
from dwatch.store.database import Store
from dwatch.store.tables import Agency, AgencyStatus
from dwatch.temporal import schedules
from dwatch.temporal.client import connect
from dwatch.temporal.devserver import DevServer, free_port
from dwatch.temporal.history import ui_link
from dwatch.temporal.worker import prepare_store, worker

# The demo's sites are on this machine: loopback is allowed, and politeness can be brisk. The office's
# own agencies are crawled with the configured (production) politeness.
_DEMO_POLITENESS = {"allow_private_addresses": True, "per_host_interval": 0.1, "retry_backoff": 0.2}


def embedded_settings(settings: Settings, *, demo: bool, private_ports: bool = False) -> Settings:
    """The settings `up` runs with; `private_ports` (for `dwatch demo`) avoids a running `dwatch up`."""
    temporal = settings.temporal
    if private_ports:
        temporal = temporal.model_copy(update={"address": f"127.0.0.1:{free_port()}"})
    if temporal.dev_db_file is None:
        temporal = temporal.model_copy(update={"dev_db_file": settings.data_dir / "temporal.sqlite"})
    update: dict[str, object] = {"temporal": temporal}
    if demo:
        update["crawl"] = settings.crawl.model_copy(update=_DEMO_POLITENESS)
    return settings.model_copy(update=update)


def demo_required() -> None:
    """Exit with one line naming what to install when the demo's dependencies are missing."""
    try:
        require_demo()
    except DemoUnavailableError as exc:
        raise fail(str(exc)) from exc


@asynccontextmanager
async def embedded(settings: Settings, *, demo_agencies: int | None, headless: bool = False) -> AsyncIterator[Store]:
    """Everything of the embedded default running (with the demo's sites when `demo_agencies` is given);
    the store. Headless: no dashboard and no schedules (a run to completion)."""
    temporal = settings.temporal
    assert temporal.dev_db_file is not None
    async with AsyncExitStack() as stack:
        with console.status("正在启动 Temporal 开发服务器、工作进程和监督看板…"):
            server = DevServer(
                temporal.dev_db_file,
                int(temporal.address.rsplit(":", 1)[1]),
                None if headless else urlsplit(temporal.ui_url).port or 8233,
            ).start()
            stack.callback(server.stop)
            await server.wait_ready()
            store = await asyncio.to_thread(prepare_store, settings)
            stack.callback(store.close)
            if demo_agencies is not None:
                from dwatch.demo.sites import start_demo_sites

                await start_demo_sites(stack, settings, store, demo_agencies, latest_due_year(datetime.now(CHINA)))
            client = await connect(temporal, instrumentation(settings.observability))
            await stack.enter_async_context(worker(client, settings))
            if not headless:
                await stack.enter_async_context(_dashboard(settings, store))
                await stack.enter_async_context(schedules.kept_applied(client, store, settings))
        yield store
        say("正在停止…")


@asynccontextmanager
async def _dashboard(settings: Settings, store: Store) -> AsyncIterator[None]:
    import uvicorn

    from dwatch.web.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, store), host=settings.web.host, port=settings.web.port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    try:
        yield
    finally:
        server.should_exit = True
        await serving


def _registered(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Agency).where(Agency.active)) or 0


def _unchecked(store: Store, year: int) -> list[str]:
    """Active agencies with no compliance status for `year`: never swept for it."""
    checked = select(AgencyStatus.agency_id).where(AgencyStatus.report_year == year)
    with store.session() as session:
        query = select(Agency.id).where(Agency.active, Agency.id.not_in(checked)).order_by(Agency.id)
        return list(session.scalars(query))


_EMPTY_REGISTRY = f"""[bold]登记册为空[/]：还没有要检查的机关。
  1. 取一份带注释的示例登记册并按本单位情况修改：dwatch registry example > registry.yaml
  2. 导入：dwatch registry import registry.yaml（--dry-run 只校验）
  3. 再次运行：dwatch up
想先看看效果：dwatch up --demo（示范网站与收件箱，需 {escape(DEMO_INSTALL)}）"""


async def _sweep_unchecked(settings: Settings, store: Store, *, force: bool | None) -> str | None:
    """Start a sweep of the latest due year when asked, or by default for the agencies not yet checked
    (none while a sweep is running: it resumes by itself). The sweep's workflow id, if one started."""
    client = await connect(settings.temporal)
    year = latest_due_year(datetime.now(CHINA))
    agency_ids: list[str] | None = None
    if not force:
        if force is False:
            return None
        unchecked = await asyncio.to_thread(_unchecked, store, year)
        running = await client.count_workflows("WorkflowType = 'DeadlineSweep' AND ExecutionStatus = 'Running'")
        if not unchecked or running.count:
            return None
        if len(unchecked) < await asyncio.to_thread(_registered, store):
            agency_ids = unchecked
    workflow_id = await ops.start_sweep(settings, year, agency_ids, client=client)
    run_id = (await client.get_workflow_handle(workflow_id).describe()).run_id
    what = "全部机关" if agency_ids is None else f"尚未检查的 {len(agency_ids)} 个机关"
    say(f"已开始检查{what}的 {year} 年度报告：{ui_link(settings.temporal, workflow_id, run_id)}")
    return workflow_id


@app.command("up")
def up_command(
    demo: Annotated[bool, typer.Option("--demo", help="在示范机关网站和本地收件箱上运行")] = False,
    agencies: Annotated[int, typer.Option(help="示范机关网站的数量（与 --demo 一起使用）")] = 30,
    sweep: Annotated[
        bool | None,
        typer.Option(help="立即检查最近一个已到期的年度（默认：只检查该年度尚未检查的机关）"),
    ] = None,
) -> None:
    """按登记册启动内置的全部服务（Temporal、工作进程、监督看板、计划任务），直到按 Ctrl-C。"""
    if demo:
        demo_required()
    settings = embedded_settings(Settings.from_env(), demo=demo)

    async def body() -> None:
        store = await asyncio.to_thread(prepare_store, settings)
        try:
            empty = not demo and _registered(store) == 0
        finally:
            store.close()
        if empty:
            console.print(_EMPTY_REGISTRY, highlight=False, soft_wrap=True)
            raise typer.Exit(1)
        async with embedded(settings, demo_agencies=agencies if demo else None) as store:
            await _sweep_unchecked(settings, store, force=sweep)
            lines = [
                "\n[bold]Disclosure Watch 已启动[/]（Ctrl-C 停止）",
                f"  监督看板　　　 {settings.public_url}/（通知中的链接指向此地址：DWATCH_PUBLIC_URL）",
                f"  Temporal 界面　{settings.temporal.ui_url}（按 ComplianceStatus、AgencyId 等筛选）",
                f"  截止日期计划　 DWATCH_DATA_DIR={settings.data_dir} dwatch schedules list",
                f"  进度与状态　　 DWATCH_DATA_DIR={settings.data_dir} dwatch status",
            ]
            if demo:
                lines.append(f"  示范收件箱　　 DWATCH_DATA_DIR={settings.data_dir} dwatch notify inbox")
            lines.append(f"  数据目录　　　 {settings.data_dir}")
            console.print("\n".join(lines), highlight=False, soft_wrap=True)
            stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
            await stop.wait()
        say("已全部停止")

    run_command(body)


async def run_once(settings: Settings, agencies: int) -> None:
    """Start everything headless with the demo's sites, sweep them to the end with a progress bar, stop."""
    async with embedded(settings, demo_agencies=agencies, headless=True):
        client = await connect(settings.temporal)
        workflow_id = await ops.start_sweep(settings, latest_due_year(datetime.now(CHINA)), client=client)
        progress = await follow_sweep(client, workflow_id)
        print_counts(progress.by_status)
