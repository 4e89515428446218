"""Per-host politeness across crawl processes: fetchers that share nothing but the store (as two
worker processes do) together keep a host's limits, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import time

import pytest
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import CrawlTarget, FetchPolicy
from dwatch.crawlers.politeness import HostLimits
from dwatch.demo.sitefarm.server import MultiHostServer, Request, Response, lead_over_pace

from dwatch.store.database import Store
from dwatch.store.host_gates import StoreHostGates
from dwatch.store.tables import CrawlHostGate

# Long enough that the moment a request reaches the server (after connecting, scheduling on a
# loaded machine: up to about a tenth of a second later) still shows the spacing its start had.
INTERVAL = 0.25
ARRIVAL_JITTER = INTERVAL  # the most a request's arrival may lag its start here
POLICY = FetchPolicy(
    per_host_concurrency=2, per_host_interval=INTERVAL, allow_private_addresses=True, respect_robots=False
)
ONE_AT_A_TIME = HostLimits(concurrency=1, interval=0.0)


def _target(port: int) -> CrawlTarget:
    return CrawlTarget(
        agency_id="a", name="机关", listing_urls=["http://127.0.0.1/"], allowed_hosts=[f"127.0.0.1:{port}"]
    )


async def _slow_page(_request: Request) -> Response:
    return Response(200, b"<html>ok</html>", {"Content-Type": "text/html"}, delay=0.3)


async def _crawl_from(fetchers: list[Fetcher], requests_each: int) -> MultiHostServer:
    server = MultiHostServer(_slow_page)
    port = await server.listen(["127.0.0.1"])
    try:
        await asyncio.gather(
            *(
                fetcher.fetch(f"http://127.0.0.1:{port}/p{n}", _target(port))
                for fetcher in fetchers
                for n in range(requests_each)
            )
        )
    finally:
        await server.close()
    return server


def _fetchers(gates: list[StoreHostGates | None]) -> list[Fetcher]:
    return [Fetcher(POLICY, shared) for shared in gates]


async def _run(gates: list[StoreHostGates | None], requests_each: int = 6) -> MultiHostServer:
    fetchers = _fetchers(gates)
    try:
        return await _crawl_from(fetchers, requests_each)
    finally:
        for fetcher in fetchers:
            await fetcher.aclose()


def test_lead_over_pace_tells_a_late_arrival_from_an_impolite_client() -> None:
    assert lead_over_pace([0.0, 1.0, 2.0, 3.5], 1.0) == 0.0  # on pace, or slower
    # One request arriving 0.4 s late shortens one gap to 0.6 s but puts nothing ahead of the pace...
    assert lead_over_pace([0.0, 1.4, 2.0, 3.0], 1.0) == pytest.approx(0.4)
    # ...where two clients each keeping the interval on their own get further ahead with each request.
    assert lead_over_pace([0.0, 0.1, 1.0, 1.1, 2.0, 2.1], 1.0) == pytest.approx(2.9)


def test_limits_hold_across_fetchers_sharing_the_store(store: Store) -> None:
    gates = [StoreHostGates(store, lease_seconds=30) for _ in range(3)]
    server = asyncio.run(_run(list(gates)))
    (host,) = server.requests
    assert server.requests[host] == 18
    assert server.max_in_flight[host] <= 2
    assert lead_over_pace(server.starts[host], INTERVAL) <= ARRIVAL_JITTER
    with store.session() as session:
        gate = session.get(CrawlHostGate, host)
        assert gate is not None and gate.leases == {}  # every lease given back


def test_without_the_store_each_fetcher_keeps_only_its_own_limits() -> None:
    # The contrast that shows the shared gates are what holds the limits above.
    server = asyncio.run(_run([None, None, None]))
    (host,) = server.requests
    assert server.max_in_flight[host] > 2
    # Three fetchers at one start per interval each: their 18 starts ran about 12 intervals ahead.
    assert lead_over_pace(server.starts[host], INTERVAL) > 4 * ARRIVAL_JITTER


def test_a_killed_workers_leases_lapse(store: Store) -> None:
    gates = StoreHostGates(store, lease_seconds=0.5)

    async def run() -> float:
        await gates.acquire("dead.example:80", ONE_AT_A_TIME)  # never released: its worker was killed
        started = time.monotonic()
        lease = await gates.acquire("dead.example:80", ONE_AT_A_TIME)
        await gates.release("dead.example:80", lease)
        return time.monotonic() - started

    waited = asyncio.run(run())
    assert 0.3 <= waited < 5
