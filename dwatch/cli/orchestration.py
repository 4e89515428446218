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
from collections import Counter
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
from dwatch.cli.common import console, fail, print_error, say
from dwatch.cli.db import open_store
from dwatch.cli.framework import Typer
from dwatch.config import Settings
from dwatch.labels import COMPLIANCE_STATUS_ZH
from dwatch.observability.logs import configure_logging
from dwatch.observability.runtime import Instrumentation, instrumentation
from dwatch.observability.runtime import flush as flush_telemetry
from dwatch.ops import OpsInputError
from dwatch.reports.compliance import ComplianceStatus, latest_due_year
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

Year = Annotated[int | None, typer.Option("--year", help="报告年度（默认：最近一个已到期的年度）")]


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
        print_error(f"Temporal 服务返回错误：{exc.message}")
        code = 1
    except RuntimeError as exc:
        # Client.connect reports an unreachable server as a RuntimeError.
        print_error(str(exc))
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
        typer.Option(help="承担的工作：workflows 工作流、crawl 抓取、review 解析与检查；默认三者都承担"),
    ] = None,
    register: Annotated[bool, typer.Option(help="先注册本项目的搜索属性（自建 Temporal 时需要）")] = True,
) -> None:
    """连接配置的 Temporal 运行工作进程，直到中断：工作流（含存储与通知活动）、抓取、解析与检查，或其中几项。"""
    roles = [r for r in ROLES if r in role] if role else list(ROLES)

    async def body() -> None:
        settings = Settings.from_env()
        configure_logging(settings.observability)
        client = await temporal_client(settings, instrumentation(settings.observability))
        if register:
            try:
                added = await search.register(client, settings.temporal.namespace)
                if added:
                    say(f"已注册搜索属性：{'、'.join(added)}")
            except RPCError as exc:
                print_error(f"未能注册搜索属性（{exc.message}），请在 Temporal 控制台注册")
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
                soft_wrap=True,
            )
            if "workflows" in roles:
                # The workflows workers keep the deadline schedules in step with the registry.
                store = open_store()
                stack.callback(store.close)
                await stack.enter_async_context(schedules.kept_applied(client, store, settings))
            await stop.wait()
            say("正在停止：等待进行中的任务完成…")
        say("工作进程已停止")

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
    agency: Annotated[list[str] | None, typer.Option("--agency", help="机关编号；默认全部机关")] = None,
    wait: Annotated[bool, typer.Option(help="显示进度条直到检查结束")] = True,
) -> None:
    """开始一次截止日期检查：检查每个机关（或指定机关）该年度的报告。"""

    async def body() -> None:
        settings = Settings.from_env()
        client = await temporal_client(settings)
        # Agencies named must be registered, which the store answers; a sweep of all needs no store.
        with closing(open_store()) if agency else nullcontext() as store:
            workflow_id = await ops.start_sweep(settings, year or latest_due_year(), agency, client=client, store=store)
        handle = client.get_workflow_handle(workflow_id)
        run_id = (await handle.describe()).run_id
        say(f"已开始检查：{workflow_id}")
        say(f"Temporal 界面：{ui_link(settings.temporal, workflow_id, run_id)}")
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
    say(f"{action}完成：{status}　{result.detail}")
    say(f"工作流：{ui_link(settings.temporal, result.workflow_id, result.run_id or '')}")


AgencyArg = Annotated[str, typer.Argument(help="机关编号", show_default=False)]
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
    """立即重新抓取某机关的报告，然后检查，有变化时通知。"""
    _run_report_action("重新抓取", ops.recrawl, agency, year)


@app.command("recheck")
def recheck_command(agency: AgencyArg, year: Year = None) -> None:
    """用当前规则目录重新检查某机关已存档的报告。"""
    _run_report_action("重新检查", ops.recheck, agency, year)


@app.command("waive")
def waive_command(
    agency: AgencyArg,
    fingerprint: Annotated[str, typer.Argument(help="问题的指纹", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="豁免理由")],
    actor: Annotated[str, typer.Option("--actor", help="豁免人")],
    year: Year = None,
) -> None:
    """经该机关年度的工作流豁免一个问题并说明理由（记入其历史）。"""

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
    agency: Annotated[str | None, typer.Option("--agency", help="只看这个机关的工作流状态")] = None,
) -> None:
    """进行中的检查、仍在轮询的报告，以及该年度的合规统计。"""

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
                soft_wrap=True,
            )
        store = open_store()
        try:
            with store.session() as session:
                counts = Counter(row.status for row in statuses(session, report_year))
        finally:
            store.close()
        console.print(f"{report_year} 年度合规情况：", end="", highlight=False)
        print_counts(counts)
        missing = counts[ComplianceStatus.MISSING]
        if missing:
            polled = await client.count_workflows(
                f"WorkflowType = 'AgencyReport' AND ReportYear = {report_year} "
                "AND ComplianceStatus = 'missing' AND ExecutionStatus = 'Running'"
            )
            console.print(_missing_line(missing, polled.count), highlight=False)

    run_command(body)


def _missing_line(missing: int, polled: int) -> str:
    """What happens to the agencies without a report: a workflow polls each until its grace period ends,
    then escalates and stops; so the missing ones are the polled ones plus those past their grace period."""
    stopped = max(missing - polled, 0)
    after = f"，{stopped} 个已过宽限期、不再轮询（逾期未发布）" if stopped else ""
    return f"其中未发布 {missing} 个：仍在轮询 {min(polled, missing)} 个{after}"


async def _agency_status(settings: Settings, agency: str, year: int) -> None:
    state = await ops.agency_state(settings, agency, year)
    if state is None:
        raise fail(f"{agency} {year} 年度尚无工作流", code=1)
    status = COMPLIANCE_STATUS_ZH.get(state.status or "", "—")
    say(f"{agency} {year} 年度：{status}（{_PHASE_ZH[state.phase]}）{state.detail}")
    console.print(
        f"检查 {state.passes} 次　错误 {state.errors}　警告 {state.warnings}　通知 {state.alerts_sent} 条"
        + (f"　轮询至 {state.polling_until}" if state.polling_until else "")
        + ("　已上报" if state.escalated else ""),
        highlight=False,
        soft_wrap=True,
    )
    for finding in state.top_findings:
        say(f"  · {finding}")
    if state.document_sha256:
        say(f"文档 v{state.document_version} sha256 {state.document_sha256}")
    say(f"工作流：report/{agency}/{year} 见 {settings.temporal.ui_url}")


history_app = Typer(help="供审计使用的工作流历史。")
app.add_typer(history_app, name="history")


@history_app.command("export")
def history_export_command(
    agency: Annotated[str | None, typer.Option("--agency", help="只导出这个机关的报告工作流")] = None,
    year: Year = None,
) -> None:
    """把已结束的工作流历史以 JSON 导出到文件存储（索引见 histories.jsonl）。"""

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
            say(f"{item.workflow_id} {item.run_id} → sha256 {item.sha256}")
        console.print(
            f"已导出 {len(exported)} 份历史（索引：{settings.data_dir / 'histories.jsonl'}）",
            highlight=False,
            soft_wrap=True,
        )

    run_command(body)
