"""A farm of simulated agency websites on loopback, for tests, benchmarks and the demo.

    with Farm(plan(200, year=2024)) as farm:
        targets = farm.targets()          # what the registry would say about each agency
        ... crawl ...
        farm.server.max_in_flight         # per-host concurrency the crawler caused

The farm runs its own event loop in a background thread, so a crawler under test (in the test's
loop) and the farm never share a loop: a slow render in the farm cannot hide a crawler bug.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any

from dwatch.crawlers.models import CrawlTarget
from dwatch.demo.sitefarm.app import FarmApp
from dwatch.demo.sitefarm.plan import FarmAgency, plan
from dwatch.demo.sitefarm.server import MultiHostServer

__all__ = ["Farm", "FarmAgency", "plan"]


class Farm:
    def __init__(self, agencies: list[FarmAgency], year: int, seed: int = 0, latency: float = 0.0) -> None:
        self.app = FarmApp(agencies, year, seed, latency)
        self.server = MultiHostServer(self.app.handle)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sitefarm", daemon=True)
        self._addresses = sorted({a.address for a in agencies})

    def prerender(self) -> None:
        """Render every report now, as a real site serves files it already has."""
        for agency in self.agencies:
            if self.app.report_url(agency, self.port) is not None:
                self.app.document(agency.agency_id)

    def start(self, port: int = 0) -> Farm:
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self.server.listen(self._addresses, port), self._loop).result(60)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()

    def __enter__(self) -> Farm:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()

    @property
    def agencies(self) -> list[FarmAgency]:
        return list(self.app.agencies.values())

    def target(self, agency: FarmAgency) -> CrawlTarget:
        return CrawlTarget(
            agency_id=agency.agency_id,
            name=agency.name,
            listing_urls=[self.app.listing_url(agency, self.port)],
            allowed_hosts=[self.host(agency)],
        )

    def host(self, agency: FarmAgency) -> str:
        """The agency's host with the farm's port, as the registry names it."""
        return f"{agency.address}:{self.port}"

    def targets(self) -> list[CrawlTarget]:
        return [self.target(a) for a in self.agencies]

    def report_url(self, agency: FarmAgency) -> str | None:
        return self.app.report_url(agency, self.port)

    def registry(self, supervisor_id: str = "farm-gwb", notify: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The farm as a registry file (`dwatch registry import` YAML structure), one supervisor for all."""
        return {
            "supervisors": [{"id": supervisor_id, "name": "示范政务公开办", "notify": notify or []}],
            "agencies": [
                {
                    "id": a.agency_id,
                    "name": a.name,
                    "kind": a.kind,
                    "region": a.region,
                    "supervisor": supervisor_id,
                    "base_url": f"http://{a.address}:{self.port}/",
                    "listing_urls": [self.app.listing_url(a, self.port)],
                    "allowed_hosts": [self.host(a)],
                }
                for a in self.agencies
            ],
        }
