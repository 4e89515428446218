"""Per-host politeness: at most N requests in flight and one request start per interval, per host.

Government sites are slow and small; a supervisor's crawler must never be the reason one falls over.
The key is the URL's host (with its port when the URL gives one), so agencies sharing a 集约化
platform share one budget. Each host has the default limits unless the registry sets its own
(`configure`: some portals ask for slower crawling, some allow more). Within one process asyncio
primitives enforce them; across processes (several crawl workers) a `SharedGates` backend does,
behind the local gate so that only requests this process would send reach it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit


@dataclass(frozen=True)
class HostLimits:
    concurrency: int  # requests in flight at once
    interval: float  # seconds between request starts


def host_key(url: str) -> str:
    """The host a URL's requests count against: `name`, `name:port` when the URL gives a port, an IPv6
    literal in brackets (`[::1]:8080`). The registry names hosts the same way."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


class SharedGates(Protocol):
    """Politeness across processes: `acquire` returns once a request to `host` may start (a lease id)."""

    async def acquire(self, host: str, limits: HostLimits) -> str: ...

    async def release(self, host: str, lease: str) -> None: ...


class _HostGate:
    def __init__(self, key: str, limits: HostLimits, shared: SharedGates | None) -> None:
        self.key = key
        self.limits = limits
        self._in_flight = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._next_start = 0.0
        self._schedule = asyncio.Lock()
        self._shared = shared

    def set_limits(self, limits: HostLimits) -> None:
        self.limits = limits
        for _ in range(limits.concurrency - self._in_flight):
            self._wake()  # a raised concurrency admits waiters at once

    async def _enter(self) -> None:
        # A counter rather than a Semaphore: the registry may change a host's concurrency at any time.
        while self._in_flight >= self.limits.concurrency:
            turn = asyncio.get_running_loop().create_future()
            self._waiting.append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._wake()  # woken, then cancelled: pass the free slot on
                else:
                    self._waiting.remove(turn)
                raise
        self._in_flight += 1

    def _leave(self) -> None:
        self._in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._enter()
        try:
            async with self._schedule:
                loop = asyncio.get_running_loop()
                wait = self._next_start - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                lease = await self._shared.acquire(self.key, self.limits) if self._shared else None
                self._next_start = loop.time() + self.limits.interval
            try:
                yield
            finally:
                if self._shared and lease:
                    # Released even when the request was cancelled: a lapsed lease would hold the slot.
                    await asyncio.shield(self._shared.release(self.key, lease))
        finally:
            self._leave()


class Politeness:
    def __init__(self, concurrency: int, interval: float, shared: SharedGates | None = None) -> None:
        self._default = HostLimits(concurrency, interval)
        self._shared = shared
        self._limits: dict[str, HostLimits] = {}
        self._gates: dict[str, _HostGate] = {}

    def configure(self, host: str, limits: HostLimits | None) -> None:
        """The host's own limits from the registry (None: the defaults). They apply to requests that
        have not started yet; requests in flight finish as they are."""
        if limits is None:
            self._limits.pop(host, None)
        else:
            self._limits[host] = limits
        gate = self._gates.get(host)
        if gate is not None:
            gate.set_limits(limits or self._default)

    def limits(self, host: str) -> HostLimits:
        return self._limits.get(host, self._default)

    def slot(self, url: str) -> AbstractAsyncContextManager[None]:
        key = host_key(url)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _HostGate(key, self.limits(key), self._shared)
        return gate.slot()
