"""Schedules on the dev server, through the real `dwatch` command (each run also proves the CLI
process exits cleanly: sdk-python#300): apply, list, pause, trigger, backfill a past year."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import yaml
from dwatch.demo.sitefarm import Farm, plan
from dwatch.workflows.models import SweepProgress
from dwatch.workflows.sweep import DeadlineSweep
from temporal_support import DWATCH, UntilCtrlC, env_for, eventually, running
from temporalio.client import Client

from dwatch.config import Settings
from dwatch.demo.registry import demo_registry
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry
from dwatch.temporal.devserver import DevServer, free_port
from dwatch.temporal.worker import prepare_store


def dwatch(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [DWATCH, *args], env=os.environ | env | {"COLUMNS": "200"}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Fatal Python error" not in done.stderr
    return done.stdout


def _register(settings: Settings) -> None:
    """Two agencies: one keeps the statutory deadline, one has a local deadline (06-30)."""
    farm = Farm(plan(2, 2025, seed=3), 2025, seed=3)  # never started: the sweeps find nothing, quickly
    farm.port = free_port()  # never listening: a registry names a real port, connections are refused
    registry = demo_registry(farm, [])
    registry["agencies"][1]["deadline"] = "06-30"
    _import(settings, registry)


def test_schedules_apply_list_pause_trigger_backfill(dev_server: DevServer, tmp_path: Path) -> None:
    env = env_for(tmp_path / "var", dev_server.address)
    settings = Settings.from_env(env)
    _register(settings)
    applied = dwatch(env, "schedules", "apply")
    assert "dwatch/deadline/department" in applied and "dwatch/deadline/local-06-30" in applied
    assert "2月1日" in applied and "4月1日" in applied and "7月1日" in applied  # the day after each deadline
    assert "dwatch/follow-up/government" in applied and "dwatch/reminder/department" in applied

    listed = dwatch(env, "schedules", "list")
    assert "dwatch/deadline/government" in listed and "2027-02-01 09:00" in listed  # Asia/Shanghai

    dwatch(env, "schedules", "pause", "dwatch/reminder/department", "--note", "测试暂停")
    assert "测试暂停" in dwatch(env, "schedules", "list")
    dwatch(env, "schedules", "apply")  # re-applying keeps what ops paused
    assert "测试暂停" in dwatch(env, "schedules", "list")

    async def sweeps_run() -> None:
        async with running(settings) as client:
            dwatch(env, "schedules", "trigger", "dwatch/deadline/local-06-30")
            dwatch(env, "schedules", "backfill", "--year", "2023")
            await eventually(
                lambda: _sweeps_done(client, settings.temporal.task_queue, {2025, 2023}), 60, "scheduled sweeps"
            )

    asyncio.run(sweeps_run())


async def _sweeps_done(client: Client, task_queue: str, years: set[int]) -> bool:
    done: set[int] = set()
    query = f"TaskQueue = '{task_queue}' AND WorkflowType = 'DeadlineSweep' AND ExecutionStatus = 'Completed'"
    async for execution in client.list_workflows(query):
        handle = client.get_workflow_handle_for(DeadlineSweep.run, execution.id, run_id=execution.run_id)
        progress: SweepProgress = await handle.result()
        done.add(progress.year)
    return years <= done


def test_workflows_worker_keeps_schedules_in_step_with_the_registry(dev_server: DevServer, tmp_path: Path) -> None:
    """No manual step: the worker applies the schedules at start, and a local deadline imported later
    reaches them at the next refresh."""
    env = env_for(tmp_path / "var", dev_server.address, schedules_refresh="1")
    settings = Settings.from_env(env)
    farm = Farm(plan(2, 2025, seed=3), 2025, seed=3)
    farm.port = free_port()  # never listening: a registry names a real port, connections are refused
    registry = demo_registry(farm, [])
    _import(settings, registry)

    async def schedules_follow_the_registry() -> None:
        client = await Client.connect(dev_server.address)
        await eventually(lambda: _has(client, "dwatch/deadline/department"), 30, "schedules applied at start")
        assert not await _has(client, "dwatch/deadline/local-05-15")
        registry["agencies"][0]["deadline"] = "05-15"
        _import(settings, registry)
        await eventually(lambda: _has(client, "dwatch/deadline/local-05-15"), 30, "a new local deadline")
        described = await client.get_schedule_handle("dwatch/deadline/local-05-15").describe()
        calendar = described.schedule.spec.calendars[0]
        assert (calendar.month[0].start, calendar.day_of_month[0].start) == (5, 16)  # the day after

    with UntilCtrlC([DWATCH, "worker", "--role", "workflows"], os.environ | env) as worker:
        asyncio.run(schedules_follow_the_registry())
        output = worker.stop()
    assert worker.process.returncode == 0, output


def _import(settings: Settings, registry: dict[str, object]) -> None:
    store = prepare_store(settings)
    with store.session() as session:
        import_registry(session, read_registry(yaml.safe_dump(registry, allow_unicode=True).encode(), "yaml"))
    store.close()


async def _has(client: Client, schedule_id: str) -> bool:
    return schedule_id in {s.id async for s in await client.list_schedules()}
