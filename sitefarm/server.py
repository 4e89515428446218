"""A small HTTP/1.1 server for many simulated hosts at once, with faults on demand.

Each simulated agency site listens on its own loopback address (127.77.x.y), as sites do on the
internet, so a crawler's per-host politeness applies per agency. The server is hand-written on
asyncio streams because the faults it must produce (a reset mid-response, a body shorter than its
Content-Length, a response that never comes) are exactly what a well-behaved framework prevents.
It also records requests in flight and request starts per host, so tests can assert the crawler's
politeness as the sites see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

_MAX_HEAD = 16 * 1024
_SEND_SLICE = 256 * 1024
_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    404: "Not Found",
    503: "Service Unavailable",
}


class Fault(StrEnum):
    RESET = "reset"  # close the connection without answering
    TRUNCATE = "truncate"  # promise the whole body, send half, close
    HANG = "hang"  # never answer


@dataclass
class Request:
    host: str  # the address the request arrived on, e.g. "127.77.0.5:8080"
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    fault: Fault | None = None


Handler = Callable[[Request], Awaitable[Response]]


def lead_over_pace(starts: Sequence[float], interval: float) -> float:
    """How far, in seconds, a host's request starts ran ahead of one start per `interval` at worst.

    The largest (j - i) * interval - (starts[j] - starts[i]) over i < j: 0 for a client that keeps
    the interval. A request held up by d on its way to the site shows as at most d ahead, however
    many follow, while a client that ignores the interval gets further ahead with every request; so
    unlike the shortest gap between two starts, it tells politeness from a loaded machine's jitter.
    """
    lead, most_behind = 0.0, float("-inf")
    for count, start in enumerate(starts):
        behind = start - count * interval  # how late this start is against the pace set by the first
        most_behind = max(most_behind, behind)
        lead = max(lead, most_behind - behind)
    return lead


class MultiHostServer:
    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._servers: list[asyncio.Server] = []
        self._connections: set[asyncio.Task[None]] = set()
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.starts: defaultdict[str, list[float]] = defaultdict(list)  # monotonic seconds, per host

    @property
    def requests(self) -> Counter[str]:
        return Counter({host: len(starts) for host, starts in self.starts.items()})

    async def listen(self, addresses: list[str], port: int = 0) -> int:
        """Listen on every address at one port (chosen on the first address when 0); returns the port."""
        for address in addresses:
            server = await asyncio.start_server(self._serve, address, port, backlog=256)
            port = server.sockets[0].getsockname()[1]
            self._servers.append(server)
        return port

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("sockname")[:2]
        key = f"{host}:{port}"
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while request := await _read_request(reader, key):
                if not await self._answer(request, reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._connections.discard(task)
            writer.transport.abort()

    async def _answer(self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection must end."""
        self.starts[request.host].append(time.monotonic())
        self.in_flight[request.host] += 1
        self.max_in_flight[request.host] = max(self.max_in_flight[request.host], self.in_flight[request.host])
        try:
            response = await self._handler(request)
            if response.delay:
                await asyncio.sleep(response.delay)
            if response.fault is Fault.HANG:
                await reader.read()  # until the client gives up: then the request is no longer in flight
                return False
            if response.fault is Fault.RESET:
                return False
            body = b"" if request.method == "HEAD" else response.body
            head = _head(response, len(response.body))
            if response.fault is Fault.TRUNCATE:
                await _send(writer, head, body[: len(body) // 2])
                return False
            await _send(writer, head, body)
            return request.headers.get("connection", "").lower() != "close"
        finally:
            self.in_flight[request.host] -= 1


async def _send(writer: asyncio.StreamWriter, head: bytes, body: bytes) -> None:
    # The body in slices, as a server sends a file: a client that stops reading (a body over its limit)
    # costs one slice of buffer, not a copy of the whole body, and other sites are served meanwhile.
    writer.write(head)
    view = memoryview(body)
    for offset in range(0, len(view), _SEND_SLICE):
        await writer.drain()
        writer.write(view[offset : offset + _SEND_SLICE])
    await writer.drain()


async def _read_request(reader: asyncio.StreamReader, host: str) -> Request | None:
    with contextlib.suppress(asyncio.IncompleteReadError):
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > _MAX_HEAD:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if length := int(headers.get("content-length", "0") or 0):
            await reader.readexactly(length)
        return Request(host=host, method=method, path=path, headers=headers)
    return None


def _head(response: Response, length: int) -> bytes:
    reason = _REASONS.get(response.status, "Status")
    headers = {"Content-Length": str(length), "Server": "sitefarm", **response.headers}
    lines = [f"HTTP/1.1 {response.status} {reason}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode("latin-1")
