"""The Temporal orchestration from the command line: `dwatch worker`, the ops actions of `dwatch.ops`
(`sweep`, `recrawl`, `recheck`, `waive`), `status` and `history export` (`schedules …`: cli.schedules).

Ops commands refuse bad input (an unregistered agency, a finding that does not exist, a year out of
range) with one line and exit status 2 before anything is started in Temporal (`dwatch.ops.validate`).

Each command runs its coroutine, then leaves the process with `os._exit` once its output is flushed:
the SDK's Rust threads can abort a short-lived process during interpreter finalisation
(temporalio/sdk-python#300), which would turn a successful command into a crash.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import AsyncExitStack, closing, contextmanager, nullcontext
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from dwatch import ops
from dwatch.cli import app
from dwatch.cli.common import console, err_console, fail
from dwatch.cli.db import open_store
from dwatch.config import Settings
from dwatch.labels import COMPLIANCE_STATUS_ZH
from dwatch.observability.logs import configure_logging
from dwatch.observability.runtime import Instrumentation, instrumentation
from dwatch.observability.runtime import flush as flush_telemetry
from dwatch.ops import OpsInputError
from dwatch.reports.compliance import latest_due_year
from dwatch.store.status import statuses
from dwatch.temporal import schedules, search
from dwatch.temporal.client import connect
from dwatch.temporal.history import export_closed, ui_link
from dwatch.temporal.worker import ROLES, worker
from dwatch.workflows.models import SweepProgress, report_workflow_id

_PHASE_ZH = {
    "starting": "启动",
    "crawling": "抓取中",
    "checking": "检查中",
    "alerting": "通知中",
    "polling": "等待发布（轮询）",
    "idle": "空闲",
    "escalating": "上报中",
    "done": "已完成",
}

Year = Annotated[int | None, typer.Option("--year", help="report year (default: the latest due)")]


def run_command(body: Callable[[], Coroutine[Any, Any, None]]) -> NoReturn:
    code = 0
    try:
        asyncio.run(body())
    except typer.Exit as exc:
        code = exc.exit_code
    except OpsInputError as exc:  # refused before anything was started in Temporal
        code = fail(exc.message).exit_code
    except KeyboardInterrupt:
        code = 130
    except RPCError as exc:
        err_console.print(f"[bold red]错误[/]：Temporal 服务返回错误：{exc.message}", highlight=False)
        code = 1
    except RuntimeError as exc:
        # Client.connect reports an unreachable server as a RuntimeError.
        err_console.print(f"[bold red]错误[/]：{exc}", highlight=False)
        code = 1
    flush_telemetry()  # batched spans: os._exit runs no exit handlers
    console.file.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


async def temporal_client(settings: Settings, instrumented: Instrumentation | None = None) -> Client:
    try:
        return await connect(settings.temporal, instrumented)
    except RuntimeError as exc:
        raise fail(f"无法连接 Temporal（{settings.temporal.address}）：{exc}", code=1) from exc


class WorkerRole(StrEnum):
    """The worker's roles (`ROLES`) as an Enum: typer offers an option's choices from one."""

    workflows = "workflows"
    crawl = "crawl"
    review = "review"


@app.command("worker")
def worker_command(
    role: Annotated[
        list[WorkerRole] | None,
        typer.Option(help="work to take (repeatable): workflows, crawl, review; default: all three"),
    ] = None,
    register: Annotated[
        bool, typer.Option(help="register the project's search attributes first (self-hosted Temporal)")
    ] = True,
) -> None:
    """Run workers against the configured Temporal until interrupted: the workflows with their store
    and alert activities, the crawls, the parsing and checking, or any of them."""
    roles = [r for r in ROLES if r in role] if role else list(ROLES)

    async def body() -> None:
        settings = Settings.from_env()
        configure_logging(settings.observability)
        client = await temporal_client(settings, instrumentation(settings.observability))
        if register:
            try:
                added = await search.register(client, settings.temporal.namespace)
                if added:
                    console.print(f"已注册搜索属性：{'、'.join(added)}", highlight=False)
            except RPCError as exc:
                err_console.print(f"未能注册搜索属性（{exc.message}），请在 Temporal 控制台注册", highlight=False)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        async with AsyncExitStack() as stack:
            running = await stack.enter_async_context(worker(client, settings, roles))
            queues = "、".join(w.task_queue for w in running)
            console.print(
                f"工作进程已启动：{settings.temporal.address} 命名空间 {settings.temporal.namespace} "
                f"任务队列 {queues}（Ctrl-C 停止）",
                highlight=False,
            )
            if "workflows" in roles:
                # The workflows workers keep the deadline schedules in step with the registry.
                store = open_store()
                stack.callback(store.close)
                await stack.enter_async_context(schedules.kept_applied(client, store, settings))
            await stop.wait()
            console.print("正在停止：等待进行中的任务完成…", highlight=False)
        console.print("工作进程已停止", highlight=False)

    run_command(body)


async def follow_sweep(client: Client, workflow_id: str) -> SweepProgress:
    """A progress bar until the sweep has finished; its final progress."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("检查各机关年度报告", total=None)
        while True:
            try:
                progress = await ops.sweep_progress(client, workflow_id)
            except RPCError as exc:
                # Workers busy with the sweep can be slow to answer a query: the bar waits, the sweep goes on.
                if exc.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):  # "Timeout expired"
                    raise
                await asyncio.sleep(0.5)
                continue
            bar.update(task, total=progress.total or None, completed=progress.done)
            if progress.finished:
                return progress
            await asyncio.sleep(0.5)


def print_counts(by_status: dict[str, int]) -> None:
    line = "　".join(f"{COMPLIANCE_STATUS_ZH[s]} {by_status[s]}" for s in COMPLIANCE_STATUS_ZH if by_status.get(s))
    console.print(line or "（无结果）", highlight=False)


@app.command("sweep")
def sweep_command(
    year: Year = None,
    agency: Annotated[list[str] | None, typer.Option("--agency", help="agency id (repeatable); default: all")] = None,
    wait: Annotated[bool, typer.Option(help="follow the sweep with a progress bar until it ends")] = True,
) -> None:
    """Start a deadline sweep: check every agency's report for the year (or the agencies named)."""

    async def body() -> None:
        settings = Settings.from_env()
        client = await temporal_client(settings)
        # Agencies named must be registered, which the store answers; a sweep of all needs no store.
        with closing(open_store()) if agency else nullcontext() as store:
            workflow_id = await ops.start_sweep(settings, year or latest_due_year(), agency, client=client, store=store)
        handle = client.get_workflow_handle(workflow_id)
        run_id = (await handle.describe()).run_id
        console.print(f"已开始检查：{workflow_id}", highlight=False)
        console.print(f"Temporal 界面：{ui_link(settings.temporal, workflow_id, run_id)}", highlight=False)
        if wait:
            progress = await follow_sweep(client, workflow_id)
            print_counts(progress.by_status)
            if progress.failed:
                console.print(f"[red]{progress.failed} 个机关处理失败[/]，见 Temporal 界面", highlight=False)

    run_command(body)


@contextmanager
def _refusal(action: str) -> Iterator[None]:
    """The workflow refused the update: its reason, and exit status 1."""
    try:
        yield
    except ops.OpsUnavailableError as exc:
        raise fail(f"{action}被拒绝：{exc}", code=1) from exc


def _print_result(action: str, result: ops.OpsResult, settings: Settings) -> None:
    status = COMPLIANCE_STATUS_ZH.get(result.status, result.status)
    console.print(f"{action}完成：{status}　{result.detail}", highlight=False)
    console.print(f"工作流：{ui_link(settings.temporal, result.workflow_id, result.run_id or '')}", highlight=False)


AgencyArg = Annotated[str, typer.Argument(help="agency id", show_default=False)]
ReportAction = Callable[..., Awaitable[ops.OpsResult]]


def _run_report_action(verb: str, action: ReportAction, agency: str, year: int | None) -> None:
    """Run one of the agency-year's actions (re-crawl, re-check) through Temporal and print its result."""

    async def body() -> None:
        settings = Settings.from_env()
        with closing(open_store()) as store, console.status(f"正在{verb} {agency}…"), _refusal(verb):
            result = await action(settings, agency, year or latest_due_year(), store=store)
        _print_result(verb, result, settings)

    run_command(body)


@app.command("recrawl")
def recrawl_command(agency: AgencyArg, year: Year = None) -> None:
    """Re-crawl an agency's report now, then check it and alert on a change."""
    _run_report_action("重新抓取", ops.recrawl, agency, year)


@app.command("recheck")
def recheck_command(agency: AgencyArg, year: Year = None) -> None:
    """Re-check an agency's archived report with the current rule catalogue."""
    _run_report_action("重新检查", ops.recheck, agency, year)


@app.command("waive")
def waive_command(
    agency: AgencyArg,
    fingerprint: Annotated[str, typer.Argument(help="the finding's fingerprint", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="why the finding is waived")],
    actor: Annotated[str, typer.Option("--actor", help="who waives it")],
    year: Year = None,
) -> None:
    """Waive a finding, with a reason, through the agency-year's workflow (kept in its history)."""

    async def body() -> None:
        settings = Settings.from_env()
        with closing(open_store()) as store, _refusal("豁免"):
            result = await ops.waive(
                settings, agency, year or latest_due_year(), fingerprint, reason, actor, store=store
            )
        _print_result("豁免", result, settings)

    run_command(body)


@app.command("status")
def status_command(
    year: Year = None,
    agency: Annotated[str | None, typer.Option("--agency", help="one agency's workflow state")] = None,
) -> None:
    """Sweeps in progress, reports still polled, and the compliance counts of the year."""

    async def body() -> None:
        settings = Settings.from_env()
        report_year = year or latest_due_year()
        client = await temporal_client(settings)
        if agency:
            await _agency_status(settings, agency, report_year)
            return
        running = client.list_workflows("WorkflowType = 'DeadlineSweep' AND ExecutionStatus = 'Running'")
        async for sweep in running:
            progress = await ops.sweep_progress(client, sweep.id)
            console.print(
                f"检查进行中 {sweep.id}：{progress.done}/{progress.total}（进行中 {progress.in_flight}）",
                highlight=False,
            )
        polled = await client.count_workflows(
            f"WorkflowType = 'AgencyReport' AND ReportYear = {report_year} "
            "AND ComplianceStatus = 'missing' AND ExecutionStatus = 'Running'"
        )
        console.print(f"{report_year} 年度尚未发布、仍在轮询的机关：{polled.count}", highlight=False)
        store = open_store()
        try:
            with store.session() as session:
                counts: dict[str, int] = {}
                for row in statuses(session, report_year):
                    counts[row.status] = counts.get(row.status, 0) + 1
        finally:
            store.close()
        console.print(f"{report_year} 年度合规情况：", end="", highlight=False)
        print_counts(counts)

    run_command(body)


async def _agency_status(settings: Settings, agency: str, year: int) -> None:
    state = await ops.agency_state(settings, agency, year)
    if state is None:
        raise fail(f"{agency} {year} 年度尚无工作流", code=1)
    status = COMPLIANCE_STATUS_ZH.get(state.status or "", "—")
    console.print(f"{agency} {year} 年度：{status}（{_PHASE_ZH[state.phase]}）{state.detail}", highlight=False)
    console.print(
        f"检查 {state.passes} 次　错误 {state.errors}　警告 {state.warnings}　通知 {state.alerts_sent} 条"
        + (f"　轮询至 {state.polling_until}" if state.polling_until else "")
        + ("　已上报" if state.escalated else ""),
        highlight=False,
    )
    for finding in state.top_findings:
        console.print(f"  · {finding}", highlight=False)
    if state.document_sha256:
        console.print(f"文档 v{state.document_version} sha256 {state.document_sha256}", highlight=False)
    console.print(f"工作流：report/{agency}/{year} 见 {settings.temporal.ui_url}", highlight=False)


history_app = typer.Typer(help="Workflow histories for auditors.", no_args_is_help=True)
app.add_typer(history_app, name="history")


@history_app.command("export")
def history_export_command(
    agency: Annotated[str | None, typer.Option("--agency", help="only this agency's report workflows")] = None,
    year: Year = None,
) -> None:
    """Export closed workflow histories to the blob store as JSON (listed in histories.jsonl)."""

    async def body() -> None:
        settings = Settings.from_env()
        client = await temporal_client(settings)
        query = "WorkflowType IN ('DeadlineSweep', 'AgencyReport')"
        if agency:
            query = f"WorkflowId = '{report_workflow_id(agency, year or latest_due_year())}'"
        elif year:
            query = f"WorkflowType = 'AgencyReport' AND ReportYear = {year}"
        store = open_store()
        try:
            exported = await export_closed(client, store, settings.data_dir, query)
        finally:
            store.close()
        for item in exported:
            console.print(f"{item.workflow_id} {item.run_id} → sha256 {item.sha256}", highlight=False)
        console.print(
            f"已导出 {len(exported)} 份历史（索引：{settings.data_dir / 'histories.jsonl'}）", highlight=False
        )

    run_command(body)
