"""Issue 18 item 10 / build item 7: robots.txt per RFC 9309 against a loopback server.

5xx or unreachable → nothing is fetched; 4xx → everything allowed; the answer is cached for 24 hours
(an injected clock moves time), and redirects are followed within the fetcher's limit.
"""

from __future__ import annotations

import asyncio

import pytest
from dwatch.crawlers.errors import FetchError
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import CrawlTarget, Fetched, FetchPolicy
from dwatch.reports.retrieval import FetchFailure
from hostile_support import Answer, Fault, HostileServer, hostile_servers

POLICY = FetchPolicy(allow_private_addresses=True, retries=0, per_host_interval=0, read_timeout=2, total_timeout=4)
PAGE = Answer(body=b"<html>report</html>")
DISALLOW_PRIVATE = Answer(body=b"User-agent: *\nDisallow: /private/\n")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _target(server: HostileServer) -> CrawlTarget:
    return CrawlTarget(
        agency_id="a",
        name="机关",
        listing_urls=[f"http://127.0.0.1:{server.port}/"],
        allowed_hosts=[f"127.0.0.1:{server.port}"],
    )


async def _get(fetcher: Fetcher, server: HostileServer, path: str) -> Fetched | FetchError:
    try:
        return await fetcher.fetch(f"http://127.0.0.1:{server.port}{path}", _target(server))
    except FetchError as error:
        return error


def _fetch_paths(routes: dict[str, Answer], *paths: str) -> tuple[list[Fetched | FetchError], list[str]]:
    with hostile_servers({"127.0.0.1": routes}) as (server,):

        async def run() -> list[Fetched | FetchError]:
            async with Fetcher(POLICY) as fetcher:
                return [await _get(fetcher, server, path) for path in paths]

        return asyncio.run(run()), server.paths()


def test_robots_5xx_disallows_everything() -> None:
    (result,), requested = _fetch_paths({"/robots.txt": Answer(503, b"busy"), "/page": PAGE}, "/page")
    assert isinstance(result, FetchError) and result.failure is FetchFailure.HTTP_STATUS and result.status == 503
    assert result.url.endswith("/robots.txt") and result.reason == "服务器错误（HTTP 503）"
    assert "/page" not in requested


def test_robots_unreachable_disallows_everything() -> None:
    (result,), requested = _fetch_paths({"/robots.txt": Answer(fault=Fault.RESET), "/page": PAGE}, "/page")
    assert isinstance(result, FetchError) and result.failure is FetchFailure.CONNECTION
    assert "/page" not in requested


def test_robots_hanging_disallows_everything() -> None:
    (result,), requested = _fetch_paths({"/robots.txt": Answer(fault=Fault.HANG), "/page": PAGE}, "/page")
    assert isinstance(result, FetchError) and result.failure is FetchFailure.TIMEOUT
    assert "/page" not in requested


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_robots_4xx_allows_everything(status: int) -> None:
    (result,), requested = _fetch_paths({"/robots.txt": Answer(status, b"no"), "/page": PAGE}, "/page")
    assert isinstance(result, Fetched) and result.content == PAGE.body
    assert requested == ["/robots.txt", "/page"]


def test_robots_rules_apply_and_are_asked_for_once() -> None:
    routes = {"/robots.txt": DISALLOW_PRIVATE, "/page": PAGE, "/private/x": PAGE}
    (allowed, refused, again), requested = _fetch_paths(routes, "/page", "/private/x", "/page")
    assert isinstance(allowed, Fetched) and isinstance(again, Fetched)
    assert isinstance(refused, FetchError) and refused.failure is FetchFailure.ROBOTS
    assert refused.reason == "被robots.txt禁止"
    assert requested == ["/robots.txt", "/page", "/page"]


def test_robots_cache_expires_after_24_hours() -> None:
    routes = {"/robots.txt": DISALLOW_PRIVATE, "/private/x": PAGE}
    clock = Clock()
    with hostile_servers({"127.0.0.1": routes}) as (server,):

        async def run() -> list[Fetched | FetchError]:
            async with Fetcher(POLICY, clock=clock) as fetcher:
                results = [await _get(fetcher, server, "/private/x")]
                routes["/robots.txt"] = Answer(body=b"User-agent: *\nDisallow:\n")  # the site opens up
                clock.now += 23 * 3600
                results.append(await _get(fetcher, server, "/private/x"))  # still the cached rules
                clock.now += 3600 + 1
                results.append(await _get(fetcher, server, "/private/x"))  # asked again: allowed
                return results

        before, cached, expired = asyncio.run(run())
        requested = server.paths()
    assert isinstance(before, FetchError) and before.failure is FetchFailure.ROBOTS
    assert isinstance(cached, FetchError) and cached.failure is FetchFailure.ROBOTS
    assert isinstance(expired, Fetched)
    assert requested == ["/robots.txt", "/robots.txt", "/private/x"]


def test_robots_5xx_is_not_cached() -> None:
    routes = {"/robots.txt": Answer(503, b"busy"), "/page": PAGE}
    with hostile_servers({"127.0.0.1": routes}) as (server,):

        async def run() -> list[Fetched | FetchError]:
            async with Fetcher(POLICY) as fetcher:
                first = await _get(fetcher, server, "/page")
                routes["/robots.txt"] = Answer(404)  # the server recovers
                return [first, await _get(fetcher, server, "/page")]

        first, second = asyncio.run(run())
    assert isinstance(first, FetchError) and isinstance(second, Fetched)


def test_robots_redirect_is_followed() -> None:
    routes = {
        "/robots.txt": Answer(301, headers={"Location": "/moved/robots.txt"}),
        "/moved/robots.txt": DISALLOW_PRIVATE,
        "/private/x": PAGE,
    }
    (result,), requested = _fetch_paths(routes, "/private/x")
    assert isinstance(result, FetchError) and result.failure is FetchFailure.ROBOTS
    assert requested == ["/robots.txt", "/moved/robots.txt"]


def test_robots_redirect_loop_or_off_host_is_unavailable_and_allows() -> None:
    routes = {
        "/robots.txt": Answer(302, headers={"Location": "/loop"}),
        "/loop": Answer(302, headers={"Location": "/robots.txt"}),
        "/page": PAGE,
    }
    (looped,), requested = _fetch_paths(routes, "/page")
    assert isinstance(looped, Fetched)
    assert requested.count("/robots.txt") + requested.count("/loop") == POLICY.max_redirects + 1
    off_host = {"/robots.txt": Answer(302, headers={"Location": "http://127.0.0.9:1/robots.txt"}), "/page": PAGE}
    (result,), requested = _fetch_paths(off_host, "/page")
    assert isinstance(result, Fetched) and requested == ["/robots.txt", "/page"]


def test_robots_beyond_500_kib_is_ignored_not_fatal() -> None:
    padding = b"# " + b"x" * (600 * 1024) + b"\n"
    routes = {
        "/robots.txt": Answer(body=b"User-agent: *\nDisallow: /private/\n" + padding + b"Disallow: /late/\n"),
        "/private/x": PAGE,
        "/late/x": PAGE,
    }
    (private, late), requested = _fetch_paths(routes, "/private/x", "/late/x")
    assert isinstance(private, FetchError) and private.failure is FetchFailure.ROBOTS
    assert isinstance(late, Fetched)  # its rule lies past the part RFC 9309 asks crawlers to read
    assert requested == ["/robots.txt", "/late/x"]
