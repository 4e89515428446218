"""Issue 18 items 1–2: SSRF by DNS rebinding, and the address classifier.

The rebinding tests never reach a non-loopback address: the address the check passes is 127.0.0.2,
opened on purpose through `allowed_networks` (as an operator would open an intranet mirror), and the
hostile server holding INTERNAL-SECRET listens on 127.0.0.1, which stays refused. A name answering
127.0.0.2 to the check and 127.0.0.1 next must only ever be connected to at 127.0.0.2.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path

import pytest
from dwatch.crawlers.errors import FetchError
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import CrawlTarget, Fetched, FetchPolicy
from dwatch.crawlers.safety import address_refusal
from dwatch.reports.retrieval import FetchFailure
from hostile_support import Answer, hostile_servers, self_signed

from dwatch.config import Settings

CHECKED = "127.0.0.2"  # stands for the public address the check saw
INTERNAL = "127.0.0.1"
POLICY = FetchPolicy(
    allowed_networks=[ipaddress.ip_network(f"{CHECKED}/32")],
    respect_robots=False,
    retries=0,
    per_host_interval=0,
    read_timeout=5,
)
ROUTES = {"/page": Answer(body=b"PUBLIC-PAGE", headers={"Connection": "close"})}
SECRET = {"/page": Answer(body=b"INTERNAL-SECRET"), "/robots.txt": Answer(body=b"INTERNAL-SECRET")}


class RebindingResolver:
    """Answers each name from its own list, one answer per lookup, repeating the last one."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self._answers = answers
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:  # noqa: ARG002 (the Resolver signature)
        self.lookups.append(host)
        answers = self._answers[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]


def _target(port: int) -> CrawlTarget:
    return CrawlTarget(
        agency_id="a",
        name="机关",
        listing_urls=[f"http://rebind.example:{port}/page"],
        allowed_hosts=[f"rebind.example:{port}", f"inner.example:{port}"],
    )


async def _fetch(resolver: RebindingResolver, url: str, target: CrawlTarget) -> Fetched:
    async with Fetcher(POLICY, resolver=resolver) as fetcher:
        return await fetcher.fetch(url, target)


def test_dns_rebinding_connects_only_to_the_checked_address() -> None:
    with hostile_servers({CHECKED: ROUTES, INTERNAL: SECRET}) as (checked, internal):
        resolver = RebindingResolver({"rebind.example": [[CHECKED], [INTERNAL]]})
        url = f"http://rebind.example:{checked.port}/page"

        async def twice() -> tuple[Fetched, FetchError]:
            async with Fetcher(POLICY, resolver=resolver) as fetcher:
                first = await fetcher.fetch(url, _target(checked.port))
                # The server closed the connection: a new one, a new lookup, now answering loopback.
                with pytest.raises(FetchError) as second:
                    await fetcher.fetch(url, _target(checked.port))
                return first, second.value

        first, second = asyncio.run(twice())
    assert first.content == b"PUBLIC-PAGE"
    assert checked.received == [(f"rebind.example:{checked.port}", "/page")]  # the Host header is the name
    assert second.failure is FetchFailure.ADDRESS_REFUSED and INTERNAL in second.detail
    assert second.reason == "地址不允许访问"
    assert internal.received == []  # INTERNAL-SECRET was never asked for
    assert resolver.lookups == ["rebind.example", "rebind.example"]  # one lookup per connection, none extra


def test_dns_rebinding_on_a_redirect_hop_is_refused() -> None:
    routes = {**ROUTES, "/hop": Answer(302, headers={"Location": "http://inner.example/page"})}
    with hostile_servers({CHECKED: routes, INTERNAL: SECRET}) as (checked, internal):
        routes["/hop"].headers["Location"] = f"http://inner.example:{checked.port}/page"
        resolver = RebindingResolver({"rebind.example": [[CHECKED]], "inner.example": [[INTERNAL]]})
        with pytest.raises(FetchError) as raised:
            asyncio.run(_fetch(resolver, f"http://rebind.example:{checked.port}/hop", _target(checked.port)))
    assert raised.value.failure is FetchFailure.ADDRESS_REFUSED
    assert raised.value.url == f"http://inner.example:{checked.port}/page"
    assert checked.paths() == ["/hop"]
    assert internal.received == []


def test_dns_rebinding_answer_mixing_checked_and_loopback_addresses_is_refused() -> None:
    # Which of several addresses a later lookup prefers is the attacker's choice: one bad one refuses all.
    with hostile_servers({CHECKED: ROUTES, INTERNAL: SECRET}) as (checked, internal):
        resolver = RebindingResolver({"rebind.example": [[CHECKED, INTERNAL]]})
        with pytest.raises(FetchError) as raised:
            asyncio.run(_fetch(resolver, f"http://rebind.example:{checked.port}/page", _target(checked.port)))
    assert raised.value.failure is FetchFailure.ADDRESS_REFUSED
    assert checked.received == [] and internal.received == []


def test_dns_rebinding_literal_loopback_address_is_refused_by_default() -> None:
    with hostile_servers({INTERNAL: SECRET}) as (internal,):
        url = f"http://{INTERNAL}:{internal.port}/page"
        target = CrawlTarget(
            agency_id="a", name="机关", listing_urls=[url], allowed_hosts=[f"{INTERNAL}:{internal.port}"]
        )

        async def run() -> Fetched:
            async with Fetcher(POLICY.model_copy(update={"respect_robots": True})) as fetcher:
                return await fetcher.fetch(url, target)

        with pytest.raises(FetchError) as raised:
            asyncio.run(run())
    assert raised.value.failure is FetchFailure.ADDRESS_REFUSED
    assert internal.received == []  # neither robots.txt nor the page


def test_unresolvable_name_is_a_dns_failure() -> None:
    async def fails(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known: {host}:{port}")

    async def run() -> Fetched:
        async with Fetcher(POLICY, resolver=fails) as fetcher:
            return await fetcher.fetch("http://rebind.example:8080/page", _target(8080))

    with pytest.raises(FetchError) as raised:
        asyncio.run(run())
    assert raised.value.failure is FetchFailure.DNS
    assert raised.value.reason == "域名无法解析"


REFUSED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # link-local cloud metadata
    "100.64.0.1",  # shared address space
    "100.100.100.200",  # a cloud metadata address inside it
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",  # multicast, which Python 3.11 calls global
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "192.88.99.1",  # 6to4 relay anycast
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "2001:db8::1",
    "2002::7f00:1",  # 6to4 of 127.0.0.1
    "2002:808:808::1",  # 6to4 of a public address: still a tunnel
    "2001::1",  # Teredo
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:8.8.8.8",  # IPv4-mapped, whatever it maps
    "::7f00:1",  # IPv4-compatible
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::808:808",  # NAT64 of a public address: the translator is the target
    "64:ff9b:1::1",  # local-use NAT64
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "202.108.22.5", "114.114.114.114", "2400:3200::1", "2001:4860:4860::8888"]


@pytest.mark.parametrize("address", REFUSED)
def test_address_classifier_refuses_non_public_addresses(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_address_classifier_passes_public_addresses(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_address_classifier_opens_only_the_networks_allowed() -> None:
    allowed = [ipaddress.ip_network("127.0.0.2/32"), ipaddress.ip_network("fd00::/8")]
    assert address_refusal(ipaddress.ip_address("127.0.0.2"), allowed) is None
    assert address_refusal(ipaddress.ip_address("fd00::5"), allowed) is None
    assert address_refusal(ipaddress.ip_address("127.0.0.1"), allowed) is not None
    assert address_refusal(ipaddress.ip_address("::ffff:127.0.0.2"), allowed) is not None  # not the same address
    refusal = address_refusal(ipaddress.ip_address("100.100.100.200"))
    assert refusal is not None and "100.64.0.0/10" in refusal


def test_dns_rebinding_pin_keeps_the_host_name_for_tls(tmp_path: Path) -> None:
    # The socket goes to the checked address; TLS still names the host (SNI, and the certificate check
    # that fails here because nobody trusts the test's self-signed certificate).
    context = self_signed(tmp_path, "report.example")
    names: list[str | None] = []
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    with hostile_servers({CHECKED: ROUTES}, tls=context) as (server,):
        url = f"https://report.example:{server.port}/page"
        target = CrawlTarget(
            agency_id="a", name="机关", listing_urls=[url], allowed_hosts=[f"report.example:{server.port}"]
        )
        resolver = RebindingResolver({"report.example": [[CHECKED]]})
        with pytest.raises(FetchError) as raised:
            asyncio.run(_fetch(resolver, url, target))
        insecure = asyncio.run(_fetch(resolver, url, target.model_copy(update={"allow_insecure_tls": True})))
    assert raised.value.failure is FetchFailure.TLS and raised.value.reason == "证书无效"
    assert names and set(names) == {"report.example"}
    assert insecure.content == b"PUBLIC-PAGE" and insecure.insecure_tls
    assert server.received == [(f"report.example:{server.port}", "/page")]


def test_allowed_networks_come_from_the_environment_as_json() -> None:
    settings = Settings.from_env({"DWATCH_CRAWL__ALLOWED_NETWORKS": '["10.8.0.0/16", "fd00::/8"]'})
    assert settings.crawl.allowed_networks == [ipaddress.ip_network("10.8.0.0/16"), ipaddress.ip_network("fd00::/8")]
    assert address_refusal(ipaddress.ip_address("10.8.1.1"), settings.crawl.allowed_networks) is None
    assert address_refusal(ipaddress.ip_address("10.9.1.1"), settings.crawl.allowed_networks) is not None
