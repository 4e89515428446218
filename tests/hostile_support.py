"""A hostile HTTP server on a loopback address, for the crawler's attack tests (tests/crawl/test_hostile_*).

Each path answers a scripted `Answer`: any status, headers and body bytes (a gzip bomb is just bytes),
or a fault (hang without answering, reset the connection). It records every request it received, so a
test can assert that nothing reached it. It runs its own event loop in a thread, so the crawler under
test (in the test's loop) meets it as it would meet a remote site.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from threading import Thread

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class Fault(StrEnum):
    HANG = "hang"  # read the request, never answer
    RESET = "reset"  # answer with a TCP reset (SO_LINGER 0)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    fault: Fault | None = None


@dataclass
class HostileServer:
    routes: dict[str, Answer]
    address: str
    port: int
    received: list[tuple[str, str]] = field(default_factory=list)  # (Host header, path)

    def paths(self) -> list[str]:
        return [path for _, path in self.received]


_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 503: "Service Unavailable"}


async def _serve(server: HostileServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            lines = head.split("\r\n")
            path = lines[0].split(" ")[1]
            host = next((line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("host:")), "")
            server.received.append((host, path))
            answer = server.routes.get(path, Answer(404, b"not found"))
            if answer.fault is Fault.HANG:
                await reader.read()
                return
            if answer.fault is Fault.RESET:
                writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return
            headers = {"Content-Length": str(len(answer.body)), **answer.headers}
            status_line = f"HTTP/1.1 {answer.status} {_REASONS.get(answer.status, 'Status')}\r\n"
            writer.write(
                (status_line + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode("latin-1")
                + answer.body
            )
            await writer.drain()
            if answer.headers.get("Connection", "").lower() == "close":
                return
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.transport.abort()


@contextmanager
def hostile_servers(
    sites: dict[str, dict[str, Answer]], tls: ssl.SSLContext | None = None
) -> Iterator[list[HostileServer]]:
    """One server per loopback address (`sites` maps it to its routes), all on the same port, so that a
    name resolving to either reaches the same URL; each records its own requests. HTTPS with `tls`."""
    loop = asyncio.new_event_loop()

    async def start() -> tuple[list[HostileServer], list[asyncio.Server]]:
        for _ in range(20):  # the first address picks a free port; another may hold it on the second
            servers: list[HostileServer] = []
            listening: list[asyncio.Server] = []
            port = 0
            try:
                for address, routes in sites.items():
                    hostile = HostileServer(routes, address, port)

                    async def handle(
                        r: asyncio.StreamReader, w: asyncio.StreamWriter, s: HostileServer = hostile
                    ) -> None:
                        await _serve(s, r, w)

                    started = await asyncio.start_server(handle, address, port, ssl=tls)
                    port = hostile.port = started.sockets[0].getsockname()[1]
                    servers.append(hostile)
                    listening.append(started)
            except OSError:
                for started in listening:
                    started.close()
                continue
            return servers, listening
        raise RuntimeError("no port free on every address")

    servers, listening = loop.run_until_complete(start())
    thread = Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield servers
    finally:

        async def stop() -> None:
            for started in listening:
                started.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def zero_bomb(size: int, container: str = "gzip") -> bytes:
    """`size` zero bytes compressed as gzip, zlib ("deflate") or raw deflate, built in well under a second:
    after a full flush the compressor starts afresh, so each further MiB compresses to the same bytes."""
    wbits = {"gzip": 31, "zlib": 15, "raw": -15}[container]
    trailer_length = {"gzip": 8, "zlib": 4, "raw": 0}[container]
    step = 1 << 20
    zeros = bytes(step)
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert repeated == compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()
    end = end[: len(end) - trailer_length]
    crc, adler = 0, 1
    for _ in range(size // step):
        crc, adler = zlib.crc32(zeros, crc), zlib.adler32(zeros, adler)
    trailer = {
        "gzip": struct.pack("<II", crc, size & 0xFFFFFFFF),
        "zlib": struct.pack(">I", adler),
        "raw": b"",
    }[container]
    return first + repeated * (size // step - 1) + end + trailer


def self_signed(directory: Path, name: str = "127.0.0.1") -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for `name` (which no client trusts)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context
