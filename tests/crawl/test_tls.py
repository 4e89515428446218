"""Invalid TLS certificates: refused by default, accepted per agency and flagged (ACCESS-01)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path
from threading import Thread

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from dwatch.crawlers.errors import FetchError
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import CrawlTarget, FetchPolicy
from dwatch.reports.retrieval import FetchFailure

POLICY = FetchPolicy(allow_private_addresses=True, respect_robots=False, retries=0, read_timeout=3)


def _self_signed(directory: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
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


@pytest.fixture(scope="module")
def https_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    context = _self_signed(tmp_path_factory.mktemp("tls"))
    loop = asyncio.new_event_loop()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = "<html><body>年报</body></html>".encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body
        )
        await writer.drain()
        writer.close()

    server = loop.run_until_complete(asyncio.start_server(answer, "127.0.0.1", 0, ssl=context))
    thread = Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/nb.html"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def _target(insecure: bool) -> CrawlTarget:
    return CrawlTarget(
        agency_id="a",
        name="机关",
        listing_urls=["https://127.0.0.1/"],
        allowed_hosts=["127.0.0.1"],
        allow_insecure_tls=insecure,
    )


async def _get(url: str, insecure: bool):
    async with Fetcher(POLICY) as fetcher:
        return await fetcher.fetch(url, _target(insecure))


def test_invalid_certificate_is_refused_by_default(https_url: str) -> None:
    with pytest.raises(FetchError) as raised:
        asyncio.run(_get(https_url, insecure=False))
    assert raised.value.failure is FetchFailure.TLS


def test_invalid_certificate_accepted_for_that_agency_is_flagged(https_url: str) -> None:
    fetched = asyncio.run(_get(https_url, insecure=True))
    assert fetched.status == 200 and fetched.insecure_tls
    assert "年报".encode() in (fetched.content or b"")
