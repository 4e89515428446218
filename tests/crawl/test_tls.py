"""Invalid TLS certificates: refused by default, accepted per agency and flagged (ACCESS-01)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from threading import Thread

import pytest
from dwatch.crawlers.errors import FetchError
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import CrawlTarget, FetchPolicy
from dwatch.crawlers.politeness import host_key
from dwatch.reports.retrieval import FetchFailure
from hostile_support import self_signed

POLICY = FetchPolicy(allow_private_addresses=True, respect_robots=False, retries=0, read_timeout=3)


@pytest.fixture(scope="module")
def https_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    context = self_signed(tmp_path_factory.mktemp("tls"))
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


def _target(url: str, insecure: bool) -> CrawlTarget:
    return CrawlTarget(
        agency_id="a",
        name="机关",
        listing_urls=["https://127.0.0.1/"],
        allowed_hosts=[host_key(url)],  # with the server's port: a host without one allows only 443
        allow_insecure_tls=insecure,
    )


async def _get(url: str, insecure: bool):
    async with Fetcher(POLICY) as fetcher:
        return await fetcher.fetch(url, _target(url, insecure))


def test_invalid_certificate_is_refused_by_default(https_url: str) -> None:
    with pytest.raises(FetchError) as raised:
        asyncio.run(_get(https_url, insecure=False))
    assert raised.value.failure is FetchFailure.TLS
    assert raised.value.reason == "证书无效"


def test_invalid_certificate_accepted_for_that_agency_is_flagged(https_url: str) -> None:
    fetched = asyncio.run(_get(https_url, insecure=True))
    assert fetched.status == 200 and fetched.insecure_tls
    assert "年报".encode() in (fetched.content or b"")
