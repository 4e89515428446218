"""The production layout, natively: a Temporal dev server, PostgreSQL as the store (the machine's on
127.0.0.1:5432; a private one where it is restarted), workers split by task queue into separate
processes, the web app. A sweep completes with each kind of work done by its
own workers and every host's politeness holding across processes; and it survives workers killed
at random and PostgreSQL restarted, with nothing lost and nothing sent twice."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from dwatch.demo.sitefarm import Farm, plan
from dwatch.demo.sitefarm.plan import Family, Scenario
from dwatch.demo.sitefarm.server import lead_over_pace
from dwatch.workflows.models import SweepProgress, report_workflow_id
from dwatch.workflows.sweep import DeadlineSweep
from private_postgres import PrivatePostgres
from sqlalchemy import select
from temporal_support import DWATCH, YEAR, assert_sweep_complete, env_for, eventually, store_session
from temporalio.api.enums.v1 import EventType

from dwatch import ops
from dwatch.config import Settings
from dwatch.demo.inbox import Inbox
from dwatch.demo.registry import import_demo
from dwatch.store.database import Store
from dwatch.store.tables import AgencyStatus, CrawlHostGate
from dwatch.temporal.client import connect
from dwatch.temporal.devserver import DevServer, free_port

pytestmark = pytest.mark.postgres

# Politeness holds request starts apart by INTERVAL; the farm sees arrivals, which the loaded machine
# (five dwatch processes, the dev server and PostgreSQL on two CPUs) delays by up to a few tenths of
# a second each: the check allows a request to arrive up to ARRIVAL_JITTER late.
INTERVAL = 0.5
ARRIVAL_JITTER = 1.0
EXPECTED = {
    Scenario.COMPLIANT: "compliant",
    Scenario.MISSING: "missing",
    Scenario.LATE: "late",
    Scenario.DEFECTIVE: "defective",
    Scenario.DOWN: "unreachable",
}


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    """A server of the test's own: the fault test restarts it."""
    server = PrivatePostgres().init()
    try:
        yield server
    finally:
        server.close()


def _farm(count: int, seed: int) -> Farm:
    agencies = plan(count, YEAR, seed=seed, scenarios=list(EXPECTED))
    # Every 集约化-platform agency on one host, so crawls from different processes meet at one site.
    platform = next(a.address for a in agencies if a.family is Family.JIYUE)
    agencies = [a.model_copy(update={"address": platform}) if a.family is Family.JIYUE else a for a in agencies]
    farm = Farm(agencies, YEAR, seed=seed, latency=0.02)
    farm.prerender()
    return farm


def _platform_host(farm: Farm) -> str:
    return next(f"{a.address}:{farm.port}" for a in farm.agencies if a.family is Family.JIYUE)


def _env(tmp_path: Path, dev_server: DevServer, database_url: str) -> dict[str, str]:
    return env_for(
        tmp_path / "var",
        dev_server.address,
        sweep_window="12",
        heartbeat_timeout="2",
        review_processes="1",
    ) | {"DWATCH_DATABASE_URL": database_url, "DWATCH_CRAWL__PER_HOST_INTERVAL": str(INTERVAL)}


class Processes:
    """dwatch processes by role, each restartable with the same command."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = os.environ | env
        self.log_dir = log_dir
        self.running: dict[str, tuple[list[str], subprocess.Popen[bytes]]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        command = [str(DWATCH), *args]
        with (self.log_dir / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.running[name] = (command, process)
        return process

    def kill_and_restart(self, name: str) -> None:
        command, process = self.running[name]
        children = _children(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        # Its review pool goes with it, orphans would hold memory and database connections.
        deadline = time.monotonic() + 10
        while any(_alive(child) for child in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [child for child in children if _alive(child)]
        self.start(name, *command[1:])

    def stop_all(self) -> None:
        for _, process in self.running.values():
            process.terminate()
        for _, process in self.running.values():
            process.wait(30)


def _children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _prepare(farm: Farm, env: dict[str, str], inbox: Inbox) -> Settings:
    # As the compose file does it: migrations by `dwatch db upgrade`, then the registry.
    subprocess.run([str(DWATCH), "db", "upgrade"], env=os.environ | env, check=True, capture_output=True)
    settings = Settings.from_env(env)
    store = Store.open(settings)
    import_demo(store, farm, inbox.urls())
    store.close()
    return settings


def _assert_statuses(settings: Settings, farm: Farm) -> None:
    with store_session(settings) as session:
        found = dict(session.execute(select(AgencyStatus.agency_id, AgencyStatus.status)).all())
    assert found == {a.agency_id: EXPECTED[a.scenario] for a in farm.agencies}


def _assert_polite(farm: Farm, settings: Settings) -> None:
    server, platform = farm.server, _platform_host(farm)
    assert server.requests[platform] >= 15  # the crawls of several agencies, from several processes
    assert max(server.max_in_flight.values()) <= 2
    assert lead_over_pace(server.starts[platform], INTERVAL) <= ARRIVAL_JITTER
    # The crawl workers took the platform's slots through the store: what holds the limits across them
    # however sparse the requests were (tests/store/test_host_gates.py shows the limits it holds).
    with store_session(settings) as session:
        assert session.get(CrawlHostGate, platform) is not None


def test_split_workers_postgres_store_and_web(
    dev_server: DevServer, pg_databases: Callable[[], str], tmp_path: Path
) -> None:
    env = _env(tmp_path, dev_server, pg_databases())  # the machine's PostgreSQL, 127.0.0.1:5432
    web_port = free_port()
    processes = Processes(env | {"DWATCH_WEB__PORT": str(web_port)}, tmp_path)
    with _farm(30, seed=21) as farm, Inbox(tmp_path / "var") as inbox:
        settings = _prepare(farm, env, inbox)
        workflows = processes.start("workflows", "worker", "--role", "workflows")
        crawlers = [processes.start(f"crawl-{n}", "worker", "--role", "crawl") for n in range(2)]
        reviewer = processes.start("review", "worker", "--role", "review")
        processes.start("web", "web")
        try:
            progress, identities = asyncio.run(_sweep_and_read_identities(settings, farm))
            asyncio.run(_web_ready_and_showing(web_port, farm))
        finally:
            processes.stop_all()
    assert_sweep_complete(settings, progress, 30)
    _assert_statuses(settings, farm)
    _assert_polite(farm, settings)
    # Each kind of work ran in the processes of its role, and only there.
    assert identities["crawl"] and identities["crawl"] <= {c.pid for c in crawlers}
    assert identities["review"] == {reviewer.pid}
    assert identities["alert"] == {workflows.pid}


async def _sweep_and_read_identities(settings: Settings, farm: Farm) -> tuple[SweepProgress, dict[str, set[int]]]:
    client = await connect(settings.temporal)
    sweep_id = await ops.start_sweep(settings, YEAR, client=client)
    progress = await asyncio.wait_for(client.get_workflow_handle_for(DeadlineSweep.run, sweep_id).result(), 240)
    identities: dict[str, set[int]] = {"crawl": set(), "review": set(), "alert": set()}
    for agency in farm.agencies[:10]:
        handle = client.get_workflow_handle(report_workflow_id(agency.agency_id, YEAR))
        scheduled: dict[int, str] = {}
        completed_by: dict[int, int] = {}  # workflow task completed → the worker's pid
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                identity = event.workflow_task_completed_event_attributes.identity
                completed_by[event.event_id] = int(identity.split("@")[0])
            elif (
                event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
                and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
            ):
                # A local activity ran in the worker that completed the workflow task recording it.
                marker = event.marker_recorded_event_attributes
                data = json.loads(marker.details["data"].payloads[0].data)
                if data["activity_type"] in identities:
                    identities[data["activity_type"]].add(completed_by[marker.workflow_task_completed_event_id])
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                attributes = event.activity_task_started_event_attributes
                name = scheduled[attributes.scheduled_event_id]
                if name in identities:
                    identities[name].add(int(attributes.identity.split("@")[0]))
    return progress, identities


async def _web_ready_and_showing(port: int, farm: Farm) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10, follow_redirects=True) as web:

        async def up() -> bool:
            try:
                return (await web.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(up, 60, "web app ready")
        page = await web.get("/")
        assert page.status_code == 200
        assert farm.agencies[0].name in page.text


def test_workers_killed_and_postgres_restarted_under_load(
    dev_server: DevServer, postgres: PrivatePostgres, tmp_path: Path
) -> None:
    env = _env(tmp_path, dev_server, postgres.url)
    processes = Processes(env, tmp_path)
    agencies = 60
    rng = random.Random(7)
    with _farm(agencies, seed=22) as farm, Inbox(tmp_path / "var") as inbox:
        settings = _prepare(farm, env, inbox)
        processes.start("workflows-crawl", "worker", "--role", "workflows", "--role", "crawl")
        processes.start("crawl", "worker", "--role", "crawl")
        for n in range(2):
            processes.start(f"review-{n}", "worker", "--role", "review")

        async def scenario() -> SweepProgress:
            client = await connect(settings.temporal)
            sweep_id = await ops.start_sweep(settings, YEAR, client=client)
            handle = client.get_workflow_handle_for(DeadlineSweep.run, sweep_id)
            # Three kills of a random worker and one database restart, spread over the sweep.
            for step, at in enumerate((6, 18, 30, 42)):

                async def reached(at: int = at) -> bool:
                    return (await ops.sweep_progress(client, sweep_id)).done >= at

                await eventually(reached, 120, f"{at} agencies done")
                if step == 2:
                    postgres.restart(down_for=2)
                else:
                    processes.kill_and_restart(rng.choice(sorted(processes.running)))
            return await asyncio.wait_for(handle.result(), 240)

        started = time.monotonic()
        try:
            progress = asyncio.run(scenario())
        finally:
            processes.stop_all()
    assert time.monotonic() - started < 400
    assert_sweep_complete(settings, progress, agencies)
    _assert_statuses(settings, farm)
    _assert_polite(farm, settings)
