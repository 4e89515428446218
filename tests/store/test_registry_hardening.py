"""Registry hardening (issue 18, attack 6 and item 10): what the registry derives is validated at
import, a wildcard stays within the agency's own domain, a host without a port allows only the
default port, and one bad stored row never stops the registry's readers. Per-host politeness set in
the registry (`hosts:`, issue 19) is validated and round-trips. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import CrawlTarget, FetchPolicy
from dwatch.crawlers.politeness import HostLimits
from dwatch.demo.sitefarm.server import MultiHostServer, Request, Response, lead_over_pace

from dwatch.crawling import host_limits_of, load_agencies
from dwatch.store.database import Store
from dwatch.store.registry.files import Format, read_registry, write_registry
from dwatch.store.registry.service import (
    RegistryRejectedError,
    UnreadableAgencyError,
    export_registry,
    import_registry,
)
from dwatch.store.tables import Agency

SUPERVISOR = "supervisors:\n  - id: s1\n    name: 政务公开办\n"


def _agency(agency_id: str, listing: str, *, base: str | None = None, allowed: str | None = None) -> str:
    text = (
        f"  - id: {agency_id}\n    name: 某局{agency_id}\n    kind: department\n    region: '431200'\n"
        f"    supervisor: s1\n    base_url: {base or listing}\n    listing_urls: ['{listing}']\n"
    )
    return text + (f"    allowed_hosts: ['{allowed}']\n" if allowed else "")


def _import(store: Store, text: str, fmt: Format = "yaml") -> None:
    with store.session() as session:
        import_registry(session, read_registry(text.encode(), fmt))


def _rejected(store: Store, text: str) -> list[str]:
    with pytest.raises(RegistryRejectedError) as caught:
        _import(store, text)
    return [str(issue) for issue in caught.value.issues]


def test_attack_6_ipv6_listing_url_imports_and_reads_back(store: Store) -> None:
    _import(store, SUPERVISOR + "agencies:\n" + _agency("v6", "http://[::1]:8931/x"))
    with store.session() as session:
        registry = export_registry(session)
        (agency,) = load_agencies(session, None)
    assert registry.unreadable == []
    assert agency.allowed_hosts == ["[::1]:8931"]  # derived with its port, bracketed
    assert agency.allows("http://[::1]:8931/x/2024.html")
    assert not agency.allows("http://[::1]:8932/x")
    # Export and import again: the derived host is a valid host on the way in too.
    _import(store, write_registry(registry, "yaml"))
    _import(store, write_registry(registry, "csv"), "csv")


def test_attack_6_one_unreadable_stored_row_is_skipped_and_reported(store: Store) -> None:
    _import(store, SUPERVISOR + "agencies:\n" + _agency("good", "https://www.a.gov.cn/nb/"))
    now = datetime.now(UTC)
    with store.session() as session:
        # As an earlier version stored it: a derived host no reader accepts.
        session.add(
            Agency(
                id="poison",
                name="坏行",
                kind="department",
                region_code="431200",
                supervisor_id="s1",
                base_url="http://[::1]:8931/",
                listing_urls=["http://[::1]:8931/x"],
                allowed_hosts=["[::1"],
                selectors=None,
                deadline=None,
                active=True,
                insecure_tls=False,
                created_at=now,
                updated_at=now,
            )
        )
    with store.session() as session:
        registry = export_registry(session)
        every = load_agencies(session, None)
        with pytest.raises(UnreadableAgencyError, match="poison"):
            load_agencies(session, ["poison"])
    assert [a.id for a in registry.agencies] == [a.id for a in every] == ["good"]
    (issue,) = registry.unreadable
    assert "poison" in issue.message and "[::1" in issue.message
    assert "poison" not in write_registry(registry.masked(), "yaml")


@pytest.mark.parametrize(
    ("base", "allowed", "accepted"),
    [
        ("https://www.gzjkq.gov.cn/", "*.gzjkq.gov.cn", True),  # the agency's own domain
        ("https://www.gzjkq.gov.cn/", "*.gov.cn", False),  # every government site
        ("https://www.gzjkq.gov.cn/", "*.cn", False),
        ("https://www.gzjkq.gov.cn/", "*.other.gov.cn", False),  # someone else's domain
    ],
)
def test_attack_10_wildcards_are_limited_to_the_agencys_own_domain(
    store: Store, base: str, allowed: str, accepted: bool
) -> None:
    text = SUPERVISOR + "agencies:\n" + _agency("w", base + "nb/", base=base, allowed=allowed)
    if accepted:
        _import(store, text)
        return
    (issue,) = _rejected(store, text)
    assert issue.startswith("第5行：") and allowed in issue and "通配符" in issue


def test_attack_10_an_allowed_host_without_a_port_does_not_allow_every_port(store: Store) -> None:
    text = SUPERVISOR + "agencies:\n" + _agency("p", "http://a.gov.cn:8080/nb/", allowed="a.gov.cn")
    (issue,) = _rejected(store, text)
    assert issue.startswith("第5行：") and "http://a.gov.cn:8080/nb/" in issue and "默认端口" in issue
    _import(store, SUPERVISOR + "agencies:\n" + _agency("p", "http://a.gov.cn:8080/nb/", allowed="a.gov.cn:8080"))


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("[::1", "不是有效的主机名"),
        ("[not-v6]:80", "不是有效的主机名"),
        ("a.gov.cn:99999", "超出 1–65535"),
        ("a b.gov.cn", "不是有效的主机名"),
    ],
)
def test_attack_6_bad_hosts_are_refused_with_their_line(store: Store, host: str, problem: str) -> None:
    text = SUPERVISOR + "agencies:\n" + _agency("h", "https://a.gov.cn/nb/", allowed=host)
    issues = _rejected(store, text)
    assert issues[0].startswith("第5行：allowed_hosts") and problem in issues[0]


HOSTS = "hosts:\n  - host: portal.a.gov.cn\n    interval: 3\n    concurrency: 1\n  - host: '[::1]:8931'\n    interval: 0.5\n    concurrency: 4\n"


def test_host_politeness_imports_round_trips_and_reaches_the_crawl(store: Store) -> None:
    _import(store, SUPERVISOR + HOSTS + "agencies:\n" + _agency("j", "https://portal.a.gov.cn/j/nb/"))
    with store.session() as session:
        registry = export_registry(session)
        (agency,) = load_agencies(session, ["j"])
        limits = host_limits_of(session, agency)
    assert [(h.host, h.interval, h.concurrency) for h in registry.hosts] == [
        ("[::1]:8931", 0.5, 4),
        ("portal.a.gov.cn", 3.0, 1),
    ]
    assert limits == {"portal.a.gov.cn": HostLimits(concurrency=1, interval=3.0)}
    for fmt in ("yaml", "csv"):
        with store.session() as session:
            summary = import_registry(session, read_registry(write_registry(registry, fmt).encode(), fmt))
        assert summary.hosts == {"unchanged": 2}


def test_bad_host_politeness_is_refused_with_its_line(store: Store) -> None:
    text = SUPERVISOR + "hosts:\n  - host: '*.a.gov.cn'\n    interval: 0\n    concurrency: 1\n"
    text += "  - host: b.gov.cn\n    interval: 1\n    concurrency: 1\n  - host: B.gov.cn\n    interval: 2\n    concurrency: 1\n"
    assert _rejected(store, text) == [
        "第5行：host：“*.a.gov.cn”不是有效的主机名（应为 域名、域名:端口、[IPv6地址]:端口 或 *.域名）",
        "第5行：interval：应大于 0",
        "第11行：主机编号“b.gov.cn”重复（首次出现在第8行）",
    ]


def test_a_hosts_own_limits_hold_at_the_site() -> None:
    interval = 0.2

    async def page(_request: Request) -> Response:
        return Response(200, b"<html>ok</html>", {"Content-Type": "text/html"}, delay=0.1)

    async def run() -> MultiHostServer:
        server = MultiHostServer(page)
        port = await server.listen(["127.0.0.1"])
        target = CrawlTarget(
            agency_id="a", name="机关", listing_urls=["http://127.0.0.1/"], allowed_hosts=[f"127.0.0.1:{port}"]
        )
        policy = FetchPolicy(
            per_host_concurrency=4, per_host_interval=0, allow_private_addresses=True, respect_robots=False
        )
        try:
            async with Fetcher(policy) as fetcher:
                fetcher.politeness.configure(f"127.0.0.1:{port}", HostLimits(concurrency=1, interval=interval))
                await asyncio.gather(*(fetcher.fetch(f"http://127.0.0.1:{port}/p{n}", target) for n in range(6)))
        finally:
            await server.close()
        return server

    server = asyncio.run(run())
    (host,) = server.requests
    assert server.requests[host] == 6
    assert server.max_in_flight[host] == 1  # the registry's 1, not the default 4
    assert lead_over_pace(server.starts[host], interval) <= interval / 2
