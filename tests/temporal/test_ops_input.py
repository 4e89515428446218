"""Ops commands refuse bad input with one zh-CN line and exit status 2, through the real `dwatch`
command against the dev server, and nothing is started in Temporal; `schedules list` with no
schedules says how to install them."""

from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from dwatch.demo.sitefarm import Farm, plan
from dwatch.reports.compliance import CHINA, latest_due_year
from dwatch.workflows.models import report_workflow_id
from temporal_support import DWATCH, YEAR, env_for, ready_dev_server
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from dwatch.config import Settings
from dwatch.ops import first_year
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry
from dwatch.temporal.devserver import DevServer, free_port
from dwatch.temporal.worker import prepare_store


def dwatch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([DWATCH, *args], env=os.environ | env, capture_output=True, text=True, timeout=60)
    assert "Fatal Python error" not in done.stderr
    return done


def refused(env: dict[str, str], *args: str) -> str:
    """The one line a refused command prints (exit status 2, nothing on stdout)."""
    done = dwatch(env, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), done.stderr
    assert "Workflow" not in lines[0]
    return lines[0]


@pytest.fixture
def registered(dev_server: DevServer, tmp_path: Path) -> tuple[dict[str, str], str]:
    """The environment of a data directory with two registered agencies (a farm never started:
    nothing could be crawled), and one of the agencies."""
    env = env_for(tmp_path / "var", dev_server.address)
    farm = Farm(plan(2, YEAR, seed=11), YEAR, seed=11)
    farm.port = free_port()  # never listening: a registry names a real port, connections are refused
    store = prepare_store(Settings.from_env(env))
    with store.session() as session:
        import_registry(session, read_registry(yaml.safe_dump(farm.registry("test-gwb")).encode(), "yaml"))
    store.close()
    return env, farm.agencies[0].agency_id


def test_bad_ops_input_is_refused_before_temporal_sees_it(registered: tuple[dict[str, str], str]) -> None:
    env, agency = registered
    latest = latest_due_year(datetime.now(CHINA))
    assert "机关“nosuch”未登记" in refused(env, "recrawl", "nosuch", "--year", str(YEAR))
    assert "机关“nosuch”未登记" in refused(env, "recheck", "nosuch", "--year", str(YEAR))
    too_old = refused(env, "recrawl", agency, "--year", str(first_year() - 1))
    assert f"{first_year()}—{latest}" in too_old
    assert "尚未到期" in refused(env, "recheck", agency, "--year", str(latest + 1))
    waived = refused(env, "waive", agency, "f" * 16, "--reason", "核实", "--actor", "审核员", "--year", str(YEAR))
    assert f"没有指纹为 {'f' * 16} 的问题" in waived
    assert "“nosuch”、“other”未登记" in refused(
        env, "sweep", "--agency", agency, "--agency", "nosuch", "--agency", "other"
    )
    assert "尚未到期" in refused(env, "sweep", "--year", str(latest + 1))
    assert "尚未到期" in refused(env, "schedules", "backfill", "--year", str(latest + 1))
    asyncio.run(_nothing_started(env))


async def _nothing_started(env: dict[str, str]) -> None:
    client = await Client.connect(env["DWATCH_TEMPORAL__ADDRESS"])
    with pytest.raises(RPCError) as described:
        await client.get_workflow_handle(report_workflow_id("nosuch", YEAR)).describe()
    assert described.value.status is RPCStatusCode.NOT_FOUND
    started = [w.id async for w in client.list_workflows(f"TaskQueue = '{env['DWATCH_TEMPORAL__TASK_QUEUE']}'")]
    assert started == []


def test_schedules_list_without_schedules_says_how_to_apply_them(tmp_path: Path) -> None:
    # A server of its own: the session's may hold the schedules other tests applied.
    with ready_dev_server(tmp_path / "temporal") as server:
        done = dwatch(env_for(tmp_path / "var", server.address), "schedules", "list")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "尚无计划任务：运行 dwatch schedules apply" in done.stdout
    assert "编号" not in done.stdout  # no empty table
