"""Per-host politeness: at most N requests in flight and one request start per interval, per host.

Government sites are slow and small; a supervisor's crawler must never be the reason one falls over.
The key is the URL's host:port, so agencies sharing a 集约化 platform share one budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit


class _HostGate:
    def __init__(self, concurrency: int, interval: float) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._interval = interval
        self._next_start = 0.0
        self._schedule = asyncio.Lock()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            async with self._schedule:
                loop = asyncio.get_running_loop()
                wait = self._next_start - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next_start = loop.time() + self._interval
            yield


class Politeness:
    def __init__(self, concurrency: int, interval: float) -> None:
        self._concurrency = concurrency
        self._interval = interval
        self._gates: dict[str, _HostGate] = {}

    @staticmethod
    def host_key(url: str) -> str:
        return urlsplit(url).netloc.lower()

    def slot(self, url: str) -> AsyncIterator[None]:
        key = self.host_key(url)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _HostGate(self._concurrency, self._interval)
        return gate.slot()  # type: ignore[return-value]
