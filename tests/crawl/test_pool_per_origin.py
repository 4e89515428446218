"""The crawler's transport keeps one connection pool per origin: a request only looks at its own
host's connections, connections are reused within a host, and the pools of hosts done with are
closed (the reaping) once their keep-alive has run out."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from dwatch.crawlers.transport import AddressGuard, PinnedTransport, _PoolPerOrigin, system_resolver


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connections can be reused

    def do_GET(self) -> None:
        body = f"{self.server.server_address[0]} {self.client_address[1]}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def two_hosts() -> Iterator[list[str]]:
    servers = [ThreadingHTTPServer((address, 0), _Hello) for address in ("127.0.0.1", "127.0.0.2")]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [f"http://{server.server_address[0]}:{server.server_address[1]}/" for server in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


def _transport(keepalive: float) -> PinnedTransport:
    guard = AddressGuard(system_resolver, allow_private=True, allowed_networks=[])
    return PinnedTransport(guard, verify=True, limits=httpx.Limits(max_connections=8, keepalive_expiry=keepalive))


def test_each_origin_has_a_pool_and_reuses_its_connection(two_hosts: list[str]) -> None:
    async def run() -> tuple[list[str], int, int]:
        transport = _transport(keepalive=30)
        async with httpx.AsyncClient(transport=transport) as client:
            answers = [(await client.get(url)).text for url in two_hosts * 3]
            pools = transport._pool
            assert isinstance(pools, _PoolPerOrigin)
            return answers, len(pools._pools), len(pools.connections)

    answers, pools, connections = asyncio.run(run())
    first, second = answers[0], answers[1]
    assert first.startswith("127.0.0.1 ") and second.startswith("127.0.0.2 ")
    assert answers == [first, second] * 3  # the same client port each time: the connection was reused
    assert pools == 2
    assert connections == 2


def test_pools_of_hosts_done_with_are_closed(two_hosts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_PoolPerOrigin, "_REAP_EVERY", 3)

    async def run() -> tuple[int, int, str]:
        transport = _transport(keepalive=0.2)
        async with httpx.AsyncClient(transport=transport) as client:
            pools = transport._pool
            assert isinstance(pools, _PoolPerOrigin)
            await client.get(two_hosts[0])
            await client.get(two_hosts[1])
            before = len(pools._pools)
            await asyncio.sleep(0.5)  # both keep-alives run out
            answer = (await client.get(two_hosts[1])).text  # the third request reaps first
            return before, len(pools._pools), answer

    before, after, answer = asyncio.run(run())
    assert before == 2
    assert after == 1  # only the pool of the request just made
    assert answer.startswith("127.0.0.2 ")
