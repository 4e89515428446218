"""Faults mid-sweep: the worker is SIGKILLed and restarted; the dev server is stopped and restarted on
the same database file. Either way the sweep completes, every agency is processed, no alert is sent twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dwatch.demo.sitefarm import Farm, plan
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.workflows.models import SweepProgress
from dwatch.workflows.sweep import DeadlineSweep
from temporal_support import DWATCH, YEAR, assert_sweep_complete, env_for, eventually, running
from temporalio.client import Client

from dwatch import ops
from dwatch.config import Settings
from dwatch.demo.inbox import Inbox
from dwatch.demo.registry import import_demo
from dwatch.temporal.client import connect
from dwatch.temporal.devserver import DevServer, free_port
from dwatch.temporal.worker import prepare_store

AGENCIES = 50
SCENARIOS = [Scenario.COMPLIANT, Scenario.MISSING, Scenario.LATE, Scenario.DEFECTIVE, Scenario.DOWN]


@pytest.fixture(scope="module")
def farm() -> Iterator[Farm]:
    # Slow sites and a narrow window keep the sweep going long enough to be interrupted.
    farm = Farm(plan(AGENCIES, YEAR, seed=9, scenarios=SCENARIOS), YEAR, seed=9, latency=0.05)
    farm.prerender()
    with farm:
        yield farm


def _prepare(farm: Farm, env: dict[str, str], inbox: Inbox) -> Settings:
    settings = Settings.from_env(env)
    store = prepare_store(settings)
    import_demo(store, farm, inbox.urls())
    store.close()
    return settings


async def _started(client: Client, settings: Settings) -> str:
    sweep_id = await ops.start_sweep(settings, YEAR, client=client)

    async def under_way() -> bool:
        progress = await ops.sweep_progress(client, sweep_id)
        return progress.done >= 8

    await eventually(under_way, 60, "sweep under way")
    return sweep_id


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [DWATCH, "worker"], env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_worker_killed_mid_sweep_and_restarted(dev_server: DevServer, farm: Farm, tmp_path: Path) -> None:
    env = env_for(tmp_path / "var", dev_server.address, sweep_window="10", heartbeat_timeout="2")
    workers = []
    with Inbox(tmp_path / "var") as inbox:
        settings = _prepare(farm, env, inbox)

        async def scenario() -> SweepProgress:
            client = await connect(settings.temporal)
            workers.append(_worker(env))
            sweep_id = await _started(client, settings)
            workers[-1].send_signal(signal.SIGKILL)
            workers[-1].wait(10)
            workers.append(_worker(env))
            handle = client.get_workflow_handle_for(DeadlineSweep.run, sweep_id)
            return await asyncio.wait_for(handle.result(), 120)

        try:
            progress = asyncio.run(scenario())
        finally:
            for process in workers:
                process.terminate()
                process.wait(30)
        assert_sweep_complete(settings, progress, AGENCIES)


def test_dev_server_restarted_mid_sweep_on_the_same_database(farm: Farm, tmp_path: Path) -> None:
    server = DevServer(tmp_path / "temporal.sqlite", free_port()).start()
    env = env_for(tmp_path / "var", server.address, sweep_window="10", heartbeat_timeout="2")
    try:
        asyncio.run(server.wait_ready())
        with Inbox(tmp_path / "var") as inbox:
            settings = _prepare(farm, env, inbox)

            async def scenario() -> SweepProgress:
                async with running(settings) as client:
                    sweep_id = await _started(client, settings)
                    server.stop()
                    server.start()
                    await server.wait_ready()
                    handle = client.get_workflow_handle_for(DeadlineSweep.run, sweep_id)
                    return await asyncio.wait_for(handle.result(), 120)

            progress = asyncio.run(scenario())
            assert_sweep_complete(settings, progress, AGENCIES)
    finally:
        server.stop()
