"""Per-host politeness: at most N requests in flight and one request start per interval, per host.

Government sites are slow and small; a supervisor's crawler must never be the reason one falls over.
The key is the URL's host:port, so agencies sharing a 集约化 platform share one budget. Within one
process asyncio primitives enforce it; across processes (several crawl workers) a `SharedGates`
backend does, behind the local gate so that only requests this process would send reach it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol
from urllib.parse import urlsplit


class SharedGates(Protocol):
    """Politeness across processes: `acquire` returns once a request to `host` may start (a lease id)."""

    async def acquire(self, host: str) -> str: ...

    async def release(self, host: str, lease: str) -> None: ...


class _HostGate:
    def __init__(self, key: str, concurrency: int, interval: float, shared: SharedGates | None) -> None:
        self._key = key
        self._slots = asyncio.Semaphore(concurrency)
        self._interval = interval
        self._next_start = 0.0
        self._schedule = asyncio.Lock()
        self._shared = shared

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            async with self._schedule:
                loop = asyncio.get_running_loop()
                wait = self._next_start - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                lease = await self._shared.acquire(self._key) if self._shared else None
                self._next_start = loop.time() + self._interval
            try:
                yield
            finally:
                if self._shared and lease:
                    # Released even when the request was cancelled: a lapsed lease would hold the slot.
                    await asyncio.shield(self._shared.release(self._key, lease))


class Politeness:
    def __init__(self, concurrency: int, interval: float, shared: SharedGates | None = None) -> None:
        self._concurrency = concurrency
        self._interval = interval
        self._shared = shared
        self._gates: dict[str, _HostGate] = {}

    @staticmethod
    def host_key(url: str) -> str:
        return urlsplit(url).netloc.lower()

    def slot(self, url: str) -> AbstractAsyncContextManager[None]:
        key = self.host_key(url)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _HostGate(key, self._concurrency, self._interval, self._shared)
        return gate.slot()
