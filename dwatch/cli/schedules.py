"""`dwatch schedules …`: the Temporal Schedules of the reporting deadlines (Asia/Shanghai time)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table as RichTable

from dwatch import ops
from dwatch.cli import app
from dwatch.cli.common import console, fail
from dwatch.cli.db import open_store
from dwatch.cli.orchestration import run_command, temporal_client
from dwatch.config import Settings
from dwatch.reports.compliance import CHINA
from dwatch.temporal import schedules

schedules_app = typer.Typer(help="Temporal Schedules of the reporting deadlines.", no_args_is_help=True)
app.add_typer(schedules_app, name="schedules")


@schedules_app.command("apply")
def schedules_apply_command() -> None:
    """Install (or update) the schedules for the deadlines in force (Asia/Shanghai time)."""

    async def body() -> None:
        settings = Settings.from_env()
        client = await temporal_client(settings)
        store = open_store()
        try:
            planned = await schedules.apply(client, store, settings, datetime.now(CHINA).date())
        finally:
            store.close()
        for item in planned:
            days = "、".join(f"{m}月{d}日" for m, d in item.days)
            console.print(f"{item.schedule_id}：每年 {days} {schedules.SWEEP_HOUR}时（{item.note}）", highlight=False)

    run_command(body)


_NO_SCHEDULES = (
    "尚无计划任务：运行 dwatch schedules apply 按登记的机关安装截止日期计划任务"
    "（dwatch up 与 workflows 工作进程启动时也会自动安装）"
)


@schedules_app.command("list")
def schedules_list_command() -> None:
    """The project's schedules, their state and next runs."""

    async def body() -> None:
        settings = Settings.from_env()
        client = await temporal_client(settings)
        installed = await schedules.ours(client)
        if not installed:
            console.print(_NO_SCHEDULES, highlight=False, soft_wrap=True)
            return
        table = RichTable(title="计划任务", title_justify="left")
        for column in ("编号", "状态", "下次运行（北京时间）", "最近运行"):
            table.add_column(column)
        for schedule_id in installed:
            described = await client.get_schedule_handle(schedule_id).describe()
            state = described.schedule.state
            upcoming = described.info.next_action_times[:1]
            recent = described.info.recent_actions[-1:] if described.info.recent_actions else []
            table.add_row(
                schedule_id,
                f"已暂停（{state.note}）" if state.paused else "运行中",
                f"{upcoming[0].astimezone(CHINA):%Y-%m-%d %H:%M}" if upcoming else "—",
                f"{recent[0].started_at.astimezone(CHINA):%Y-%m-%d %H:%M}" if recent else "—",
            )
        console.print(table)

    run_command(body)


ScheduleArg = Annotated[str, typer.Argument(help="schedule id, e.g. dwatch/deadline/department", show_default=False)]


@schedules_app.command("pause")
def schedules_pause_command(
    schedule_id: ScheduleArg, note: Annotated[str, typer.Option(help="why")] = "由运维暂停"
) -> None:
    """Pause a schedule."""

    async def body() -> None:
        client = await temporal_client(Settings.from_env())
        await client.get_schedule_handle(schedule_id).pause(note=note)
        console.print(f"已暂停 {schedule_id}", highlight=False)

    run_command(body)


@schedules_app.command("unpause")
def schedules_unpause_command(schedule_id: ScheduleArg) -> None:
    """Resume a paused schedule."""

    async def body() -> None:
        client = await temporal_client(Settings.from_env())
        await client.get_schedule_handle(schedule_id).unpause(note="由运维恢复")
        console.print(f"已恢复 {schedule_id}", highlight=False)

    run_command(body)


@schedules_app.command("trigger")
def schedules_trigger_command(schedule_id: ScheduleArg) -> None:
    """Run a schedule's sweep now."""

    async def body() -> None:
        client = await temporal_client(Settings.from_env())
        await client.get_schedule_handle(schedule_id).trigger()
        console.print(f"已触发 {schedule_id}", highlight=False)

    run_command(body)


@schedules_app.command("backfill")
def schedules_backfill_command(
    year: Annotated[int, typer.Option("--year", help="past report year to sweep", show_default=False)],
) -> None:
    """Sweep a past year: run each deadline schedule as of that year's deadline."""

    async def body() -> None:
        ops.check_year(year)
        client = await temporal_client(Settings.from_env())
        filled = await schedules.backfill(client, year)
        if not filled:
            raise fail("没有截止日期计划任务，请先运行 dwatch schedules apply", code=1)
        console.print(f"已补跑 {year} 年度：{'、'.join(filled)}", highlight=False)

    run_command(body)
