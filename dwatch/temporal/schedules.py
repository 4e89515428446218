"""Temporal Schedules for the deadlines in force, in Asia/Shanghai time.

For each deadline (departments 1月31日, governments 3月31日, and every local deadline in the
registry): a reminder sweep a week before it, the deadline sweep the day after it, and weekly
follow-up sweeps until the grace period (`alerts.escalation_days`) has ended. Sweeps started by a
schedule check the year before the one they are scheduled in, so a backfill checks past years.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import date, datetime, time, timedelta
from typing import Literal, get_args

from pydantic import BaseModel
from sqlalchemy import select
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError

from dwatch.config import Settings
from dwatch.reports.compliance import CHINA, AgencyKind, latest_due_year, local_deadline, report_deadline
from dwatch.store.database import Store
from dwatch.store.tables import Agency
from dwatch.temporal.routing import heartbeat, task_queues
from dwatch.workflows.models import SweepInput, SweepScope
from dwatch.workflows.sweep import DeadlineSweep

log = logging.getLogger(__name__)

PREFIX = "dwatch/"
TIME_ZONE = "Asia/Shanghai"
SWEEP_HOUR = 9  # sweeps start in the morning, China time
REMINDER_DAYS = 7
_LEAP_YEAR = 2028  # month-day arithmetic on a leap year keeps 02-29 deadlines valid

Purpose = Literal["reminder", "deadline", "follow-up"]


class PlannedSchedule(BaseModel):
    schedule_id: str
    purpose: Purpose
    scope: SweepScope
    days: list[tuple[int, int]]  # (month, day) in China time, every year
    note: str


def _deadlines(store: Store, year: int) -> list[tuple[str, SweepScope, date]]:
    """The deadlines of the reports on `year`: the statutory ones by kind, and the registry's local ones."""
    statutory = [
        (kind, SweepScope(kind=kind), due)
        for kind in get_args(AgencyKind)
        if (due := report_deadline(year, kind)) is not None
    ]
    with store.session() as session:
        deadlines = session.scalars(select(Agency.deadline).where(Agency.deadline.is_not(None)))
        local = sorted({d for d in deadlines if d is not None})
    return statutory + [(f"local-{d}", SweepScope(deadline=d), local_deadline(year, d)) for d in local]


def plan(store: Store, settings: Settings, today: date) -> list[PlannedSchedule]:
    """The schedules the registry and the catalogue call for on `today` (China time)."""
    planned = []
    year = latest_due_year(datetime.combine(today, time(), tzinfo=CHINA))
    for name, scope, due in _deadlines(store, year):
        deadline = date(_LEAP_YEAR, due.month, due.day)
        after = [deadline + timedelta(days=1)]
        follow_ups = range(7, settings.alerts.escalation_days + 1, 7)
        stages: tuple[tuple[Purpose, list[date]], ...] = (
            ("reminder", [deadline - timedelta(days=REMINDER_DAYS)]),
            ("deadline", after),
            ("follow-up", [deadline + timedelta(days=n) for n in follow_ups]),
        )
        for purpose, days in stages:
            if days:
                planned.append(
                    PlannedSchedule(
                        schedule_id=f"{PREFIX}{purpose}/{name}",
                        purpose=purpose,
                        scope=scope,
                        days=[(d.month, d.day) for d in days],
                        note=f"{name} 截止日期 {due:%m-%d}",
                    )
                )
    return planned


def _schedule(planned: PlannedSchedule, settings: Settings) -> Schedule:
    calendars = [
        ScheduleCalendarSpec(
            month=[ScheduleRange(month)], day_of_month=[ScheduleRange(day)], hour=[ScheduleRange(SWEEP_HOUR)]
        )
        for month, day in planned.days
    ]
    return Schedule(
        action=ScheduleActionStartWorkflow(
            DeadlineSweep.run,
            SweepInput(
                scope=planned.scope,
                window=settings.temporal.sweep_window,
                heartbeat=heartbeat(settings.temporal),
                queues=task_queues(settings.temporal),
            ),
            id=f"sweep/{planned.schedule_id.removeprefix(PREFIX)}",
            task_queue=settings.temporal.task_queue,
        ),
        spec=ScheduleSpec(calendars=calendars, time_zone_name=TIME_ZONE),
        # A sweep still running when the next is due: the next waits, none is skipped silently.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ONE, catchup_window=timedelta(days=7)),
    )


async def apply(client: Client, store: Store, settings: Settings, today: date) -> list[PlannedSchedule]:
    """Create or update the planned schedules; delete ours that are no longer planned."""
    planned = plan(store, settings, today)
    for item in planned:
        schedule = _schedule(item, settings)
        try:
            await client.create_schedule(item.schedule_id, schedule, memo={"note": item.note})
        except ScheduleAlreadyRunningError:

            def replace(update: ScheduleUpdateInput, schedule: Schedule = schedule) -> ScheduleUpdate:
                # Keep the paused state and notes ops set; replace what the plan decides.
                schedule.state = update.description.schedule.state
                return ScheduleUpdate(schedule=schedule)

            await client.get_schedule_handle(item.schedule_id).update(replace)
    wanted = {p.schedule_id for p in planned}
    async for listed in await client.list_schedules():
        if listed.id.startswith(PREFIX) and listed.id not in wanted:
            await client.get_schedule_handle(listed.id).delete()
    return planned


async def _apply_now(client: Client, store: Store, settings: Settings) -> list[PlannedSchedule] | None:
    try:
        return await apply(client, store, settings, datetime.now(CHINA).date())
    except RPCError as exc:
        # The service keeps running without them; the next refresh tries again.
        log.warning("could not apply the deadline schedules: %s", exc.message)
        return None


async def _refresh(client: Client, store: Store, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.temporal.schedules_refresh)
        await _apply_now(client, store, settings)


@asynccontextmanager
async def kept_applied(client: Client, store: Store, settings: Settings) -> AsyncIterator[list[PlannedSchedule] | None]:
    """The schedules applied now (None: Temporal refused, logged) and re-applied periodically until exit."""
    applied = await _apply_now(client, store, settings)
    refreshing = asyncio.create_task(_refresh(client, store, settings))
    try:
        yield applied
    finally:
        refreshing.cancel()
        with suppress(asyncio.CancelledError):
            await refreshing


async def ours(client: Client) -> list[str]:
    return sorted([s.id async for s in await client.list_schedules() if s.id.startswith(PREFIX)])


async def backfill(client: Client, year: int) -> list[str]:
    """Run each deadline schedule once as of the reporting year's deadline: sweeps of `year`."""
    filled = []
    for schedule_id in await ours(client):
        if not schedule_id.startswith(f"{PREFIX}deadline/"):
            continue
        handle = client.get_schedule_handle(schedule_id)
        calendar = (await handle.describe()).schedule.spec.calendars[0]
        month, day = calendar.month[0].start, calendar.day_of_month[0].start
        at = datetime.combine(date(year + 1, month, day), time(SWEEP_HOUR), tzinfo=CHINA)
        await handle.backfill(
            ScheduleBackfill(
                start_at=at - timedelta(minutes=1),
                end_at=at + timedelta(minutes=1),
                overlap=ScheduleOverlapPolicy.ALLOW_ALL,
            )
        )
        filled.append(schedule_id)
    return filled
