"""`dwatch schedules …`: the Temporal Schedules of the reporting deadlines (Asia/Shanghai time)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from dwatch import ops
from dwatch.cli import app
from dwatch.cli.common import console, fail, say
from dwatch.cli.db import open_store
from dwatch.cli.framework import Typer
from dwatch.cli.orchestration import run_command, temporal_client
from dwatch.config import Settings
from dwatch.reports.compliance import CHINA
from dwatch.temporal import schedules
from dwatch.timefmt import iso, local_minute

schedules_app = Typer(help="按发布截止日期运行的 Temporal 计划任务。")
app.add_typer(schedules_app, name="schedules")


@schedules_app.command("apply")
def schedules_apply_command() -> None:
    """按现行截止日期安装（或更新）计划任务（北京时间）。"""

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
            say(f"{item.schedule_id}：每年 {days} {schedules.SWEEP_HOUR}时（{item.note}）")

    run_command(body)


_NO_SCHEDULES = (
    "尚无计划任务：运行 dwatch schedules apply 按登记的机关安装截止日期计划任务"
    "（dwatch up 与 workflows 工作进程启动时也会自动安装）"
)


@schedules_app.command("list")
def schedules_list_command(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """列出本项目的计划任务、状态和下次运行时间。"""

    async def body() -> None:
        settings = Settings.from_env()
        client = await temporal_client(settings)
        installed = await schedules.ours(client)
        rows = []
        for schedule_id in installed:
            described = await client.get_schedule_handle(schedule_id).describe()
            upcoming = described.info.next_action_times[:1]
            recent = described.info.recent_actions[-1:]
            rows.append(
                (
                    schedule_id,
                    described.schedule.state,
                    upcoming[0] if upcoming else None,
                    recent[0].started_at if recent else None,
                )
            )
        if as_json:
            payload = [
                {"id": i, "paused": st.paused, "note": st.note, "next_run_at": iso(nxt), "last_run_at": iso(last)}
                for i, st, nxt, last in rows
            ]
            console.out(json.dumps(payload, ensure_ascii=False, indent=2), highlight=False)
            return
        if not rows:
            console.print(_NO_SCHEDULES, highlight=False, soft_wrap=True)
        for schedule_id, state, nxt, last in rows:
            state_zh = f"已暂停（{state.note}）" if state.paused else "运行中"
            say(f"{schedule_id}　{state_zh}　下次运行 {local_minute(nxt)}　最近运行 {local_minute(last)}（北京时间）")

    run_command(body)


ScheduleArg = Annotated[str, typer.Argument(help="计划任务编号，例如 dwatch/deadline/department", show_default=False)]


@schedules_app.command("pause")
def schedules_pause_command(
    schedule_id: ScheduleArg, note: Annotated[str, typer.Option(help="暂停原因")] = "由运维暂停"
) -> None:
    """暂停一个计划任务。"""

    async def body() -> None:
        client = await temporal_client(Settings.from_env())
        await client.get_schedule_handle(schedule_id).pause(note=note)
        say(f"已暂停 {schedule_id}")

    run_command(body)


@schedules_app.command("unpause")
def schedules_unpause_command(schedule_id: ScheduleArg) -> None:
    """恢复已暂停的计划任务。"""

    async def body() -> None:
        client = await temporal_client(Settings.from_env())
        await client.get_schedule_handle(schedule_id).unpause(note="由运维恢复")
        say(f"已恢复 {schedule_id}")

    run_command(body)


@schedules_app.command("trigger")
def schedules_trigger_command(schedule_id: ScheduleArg) -> None:
    """立即运行计划任务的检查。"""

    async def body() -> None:
        client = await temporal_client(Settings.from_env())
        await client.get_schedule_handle(schedule_id).trigger()
        say(f"已触发 {schedule_id}")

    run_command(body)


@schedules_app.command("backfill")
def schedules_backfill_command(
    year: Annotated[int, typer.Option("--year", help="要补跑的以往报告年度", show_default=False)],
) -> None:
    """补跑以往年度：按该年度的截止日期运行每个计划任务。"""

    async def body() -> None:
        ops.check_year(year)
        client = await temporal_client(Settings.from_env())
        filled = await schedules.backfill(client, year)
        if not filled:
            raise fail("没有截止日期计划任务，请先运行 dwatch schedules apply", code=1)
        say(f"已补跑 {year} 年度：{'、'.join(filled)}")

    run_command(body)
