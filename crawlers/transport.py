"""Connections only to checked addresses (no DNS rebinding).

Checking a name's addresses and then letting the HTTP client resolve it again to connect leaves a
gap: a name answering a public address to the check and 127.0.0.1 to the connect reaches loopback.
Here the name is resolved once per connection, every address of the answer is classified, and the
socket is opened to exactly the address that was checked. TLS is untouched: httpcore still verifies
the certificate against, and sends SNI for, the URL's host name. Every redirect hop and robots.txt
go through the same transport, since it is the only way the crawler opens a connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence

import httpcore
import httpx
from dwatch.crawlers.safety import IPNetwork, address_refusal
from dwatch.reports.retrieval import FetchFailure

# A host name and port → the addresses they resolve to (a test can answer differently each time).
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # An IPv4 or IPv6 socket address starts with the host's address (typeshed also allows other families' ints).
    return [str(info[4][0]) for info in infos]


class AddressError(Exception):
    """A connection refused before it was opened; the fetcher turns it into a FetchError with the URL."""

    def __init__(self, failure: FetchFailure, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure
        self.detail = detail


class AddressGuard:
    """Resolves a host once and returns the addresses the crawler may connect to, or refuses."""

    def __init__(self, resolver: Resolver, allow_private: bool, allowed_networks: Sequence[IPNetwork]) -> None:
        self._resolver = resolver
        self._allow_private = allow_private
        self._allowed_networks = allowed_networks

    async def addresses(self, host: str, port: int) -> list[str]:
        try:
            answers = await self._resolver(host, port)
        except (socket.gaierror, UnicodeError) as exc:
            raise AddressError(FetchFailure.DNS, f"DNS lookup of {host} failed: {exc}") from exc
        if not answers:
            raise AddressError(FetchFailure.DNS, f"DNS lookup of {host} returned no address")
        if self._allow_private:
            return answers
        # One refused address refuses the name: which one a later lookup prefers is the attacker's choice.
        for answer in answers:
            refusal = address_refusal(ipaddress.ip_address(answer.partition("%")[0]), self._allowed_networks)
            if refusal:
                raise AddressError(FetchFailure.ADDRESS_REFUSED, f"{host} resolves to {answer}: {refusal}")
        return answers


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting to the guard's checked address instead of the name."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._guard.addresses(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"DNS lookup of {host} timed out") from exc
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the name's next (equally checked) address
        assert failure is not None  # addresses is never empty
        raise failure

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PoolPerOrigin(httpcore.AsyncConnectionPool):
    """A connection pool of its own for each origin (scheme, host, port). One pool for every host
    scans all of its connections on every request (httpcore assigns requests to connections that
    way): with hundreds of sites crawled at once, most of the crawler's time. Pools whose connections
    have all expired are closed every `_REAP_EVERY` requests, so hosts done with are not kept."""

    _REAP_EVERY = 256

    def __init__(self, make_pool: Callable[[], httpcore.AsyncConnectionPool]) -> None:
        super().__init__(max_connections=0)
        self._make_pool = make_pool
        self._pools: dict[tuple[bytes, bytes, int | None], httpcore.AsyncConnectionPool] = {}
        self._since_reap = 0

    @property
    def connections(self) -> list[httpcore.AsyncConnectionInterface]:
        return [connection for pool in self._pools.values() for connection in pool.connections]

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        self._since_reap += 1
        if self._since_reap >= self._REAP_EVERY:
            self._since_reap = 0
            await self._reap()
        origin = (request.url.scheme, request.url.host, request.url.port)
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = self._make_pool()
        return await pool.handle_async_request(request)

    async def _reap(self) -> None:
        # Decided before any await, so no request can join a pool between the check and its closing.
        done = [
            origin
            for origin, pool in self._pools.items()
            if all(connection.has_expired() for connection in pool.connections)
        ]
        closing = [self._pools.pop(origin) for origin in done]
        for pool in closing:
            await pool.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over the pinned backend (no proxies, no environment: the crawler's own pools)."""

    def __init__(self, guard: AddressGuard, *, verify: bool, limits: httpx.Limits) -> None:
        super().__init__(verify=verify, limits=limits, trust_env=False)
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        backend = _PinnedBackend(guard)

        def make_pool() -> httpcore.AsyncConnectionPool:
            return httpcore.AsyncConnectionPool(
                ssl_context=ssl_context,
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
                network_backend=backend,
            )

        self._pool = _PoolPerOrigin(make_pool)
