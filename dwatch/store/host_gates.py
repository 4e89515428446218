"""Crawl politeness shared by every crawl worker through the store (`crawlers.politeness.SharedGates`).

One row per host holds the leases of the requests in flight and the earliest next start. Taking a
slot is one short transaction on that row (locked), so however many processes crawl, a host sees
at most its `concurrency` requests at once and one start per its `interval` (the defaults, or the
registry's limits for the host, as each request's gate brings them). Leases lapse after
`lease_seconds`, so a killed worker cannot hold a host's slots for long. Times are epoch seconds of
the workers' clocks: keep their hosts on NTP.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid

from sqlalchemy import select

from dwatch.crawlers.politeness import HostLimits
from dwatch.store.database import Store
from dwatch.store.tables import CrawlHostGate
from dwatch.store.upsert import insert_for


class StoreHostGates:
    def __init__(self, store: Store, lease_seconds: float) -> None:
        self._store = store
        self._lease_seconds = lease_seconds

    async def acquire(self, host: str, limits: HostLimits) -> str:
        while True:
            taken = await asyncio.to_thread(self._take, host, limits)
            if taken is not None:
                lease, start = taken
                await asyncio.sleep(max(0.0, start - time.time()))
                return lease
            # Every slot is held by other processes: look again soon, jittered so they do not collide.
            await asyncio.sleep(max(limits.interval, 0.05) * random.uniform(0.5, 1.0))

    async def release(self, host: str, lease: str) -> None:
        await asyncio.to_thread(self._give_back, host, lease)

    def _take(self, host: str, limits: HostLimits) -> tuple[str, float] | None:
        with self._store.session() as session:
            session.execute(
                insert_for(session, CrawlHostGate)
                .values(host=host, next_start=0.0, leases={})
                .on_conflict_do_nothing(index_elements=["host"])
            )
            gate = session.scalars(select(CrawlHostGate).where(CrawlHostGate.host == host).with_for_update()).one()
            now = time.time()
            leases = {lease: until for lease, until in gate.leases.items() if until > now}
            if len(leases) >= limits.concurrency:
                gate.leases = leases
                return None
            start = max(now, gate.next_start)
            lease = uuid.uuid4().hex
            leases[lease] = start + self._lease_seconds
            gate.leases, gate.next_start = leases, start + limits.interval
            return lease, start

    def _give_back(self, host: str, lease: str) -> None:
        with self._store.session() as session:
            gate = session.scalars(select(CrawlHostGate).where(CrawlHostGate.host == host).with_for_update()).one()
            gate.leases = {held: until for held, until in gate.leases.items() if held != lease}
