"""Agencies sharing hosts (issue 19): a city portal with most of the agencies, a few small hosts, and a
sweep window smaller than the portal's share (taken by id, the window would be all portal).
Host-paced pages keep the small hosts from queueing behind the portal; every host's politeness
holds as the farm sees it, including a host whose own limits the registry sets; statuses are exact."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from dwatch.demo.sitefarm import Farm, plan
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.demo.sitefarm.server import lead_over_pace
from dwatch.workflows.models import SweepProgress
from dwatch.workflows.sweep import DeadlineSweep
from sqlalchemy import select
from temporal_support import YEAR, assert_sweep_complete, env_for, running, store_session

from dwatch import ops
from dwatch.config import Settings
from dwatch.crawling import host_paced
from dwatch.demo.inbox import Inbox
from dwatch.demo.registry import import_demo
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry
from dwatch.store.tables import AgencyStatus
from dwatch.temporal.devserver import DevServer
from dwatch.temporal.worker import prepare_store

AGENCIES, HOSTS, BUSIEST = 56, 5, 40  # the portal: agencies 0–39; four hosts of four agencies each
INTERVAL = 0.5
SLOW_INTERVAL = 0.8  # the registry's own limits for one small host: one request at a time, slower
# How late a request may reach the farm after its start on this loaded two-CPU machine.
ARRIVAL_JITTER = 1.0
SCENARIOS = [Scenario.COMPLIANT, Scenario.MISSING, Scenario.DEFECTIVE, Scenario.COMPLIANT, Scenario.LATE, Scenario.DOWN]
EXPECTED = {
    Scenario.COMPLIANT: "compliant",
    Scenario.MISSING: "missing",
    Scenario.DEFECTIVE: "defective",
    Scenario.LATE: "late",
    Scenario.DOWN: "unreachable",
}


def test_host_paced_order_takes_hosts_in_turn_at_their_pace() -> None:
    agencies = [(f"p{n}", "portal") for n in range(4)] + [("a1", "a"), ("a0", "a"), ("b0", "b")]
    assert host_paced(agencies, {}, 1.0) == ["a0", "b0", "p0", "a1", "p1", "p2", "p3"]
    # A host the registry slows down to 3 s gets its second agency after the others' third.
    assert host_paced(agencies, {"a": 3.0}, 1.0) == ["a0", "b0", "p0", "p1", "p2", "a1", "p3"]
    # Without an interval, hosts still take turns rather than one host's agencies coming first.
    assert host_paced(agencies, {}, 0.0)[:3] == ["a0", "b0", "p0"]


@pytest.fixture(scope="module")
def farm() -> Iterator[Farm]:
    agencies = plan(AGENCIES, YEAR, seed=9, scenarios=SCENARIOS, hosts=HOSTS, busiest=BUSIEST)
    farm = Farm(agencies, YEAR, seed=9)
    farm.prerender()
    with farm:
        yield farm


def test_small_hosts_are_not_queued_behind_the_portal(dev_server: DevServer, farm: Farm, tmp_path: Path) -> None:
    env = env_for(tmp_path / "var", dev_server.address, sweep_window="16") | {
        "DWATCH_CRAWL__PER_HOST_INTERVAL": str(INTERVAL),
        "DWATCH_CRAWL__PER_HOST_CONCURRENCY": "2",
    }
    settings = Settings.from_env(env)
    by_host: dict[str, list[str]] = {}
    for agency in farm.agencies:
        by_host.setdefault(farm.host(agency), []).append(agency.agency_id)
    portal = next(host for host, ids in by_host.items() if len(ids) == BUSIEST)
    slow = next(host for host in by_host if host != portal)
    with Inbox(tmp_path / "var") as inbox:
        store = prepare_store(settings)
        import_demo(store, farm, inbox.urls())
        hosts = f"hosts:\n  - host: '{slow}'\n    interval: {SLOW_INTERVAL}\n    concurrency: 1\n"
        with store.session() as session:
            import_registry(session, read_registry(hosts.encode(), "yaml"))
        store.close()
        progress = asyncio.run(_sweep(settings))
    assert_sweep_complete(settings, progress, AGENCIES)
    with store_session(settings) as session:
        status = dict(session.execute(select(AgencyStatus.agency_id, AgencyStatus.status)).tuples().all())
    assert {a.agency_id: status[a.agency_id] for a in farm.agencies} == {
        a.agency_id: EXPECTED[a.scenario] for a in farm.agencies
    }

    server = farm.server
    farm_hosts = {f"{a.address}:{farm.port}" for a in farm.agencies}
    assert set(server.requests) == farm_hosts
    for host in farm_hosts:
        limit, interval = (1, SLOW_INTERVAL) if host == slow else (2, INTERVAL)
        assert server.max_in_flight[host] <= limit, host
        assert lead_over_pace(server.starts[host], interval) <= ARRIVAL_JITTER, host
    # The portal is the critical path; the small hosts finish while it is less than half done.
    began = min(starts[0] for starts in server.starts.values())
    portal_done = server.starts[portal][-1] - began
    small_done = max(server.starts[host][-1] - began for host in farm_hosts if host != portal)
    ends = {h: (len(st), round(st[0] - began, 1), round(st[-1] - began, 1)) for h, st in server.starts.items()}
    assert small_done < 0.5 * portal_done, ends
    # And the portal was kept busy: its requests ran close to its polite pace.
    portal_bound = len(server.starts[portal]) * INTERVAL
    assert portal_done < 2 * portal_bound, (portal_done, portal_bound)


async def _sweep(settings: Settings) -> SweepProgress:
    async with running(settings) as client:
        sweep_id = await ops.start_sweep(settings, YEAR, client=client)
        handle = client.get_workflow_handle_for(DeadlineSweep.run, sweep_id)
        return await asyncio.wait_for(handle.result(), 240)
