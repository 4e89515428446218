"""Fetching with httpx: pooled, polite, bounded in size and time, safe about where it goes.

Redirects are followed by hand so that every hop is checked against the agency's allowed hosts;
every connection (each hop, robots.txt) goes to an address checked when it was resolved
(`transport`); bodies are decoded by our own code and cut off at the size limit (`decoding`);
retryable failures (timeouts, resets, truncated bodies, 5xx, 429) are retried with exponential backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from dwatch.crawlers import robots
from dwatch.crawlers.decoding import ACCEPT_ENCODING, read_body
from dwatch.crawlers.errors import FetchError, transport_error
from dwatch.crawlers.models import Conditional, CrawlTarget, Fetched, FetchPolicy
from dwatch.crawlers.politeness import Politeness, SharedGates
from dwatch.crawlers.safety import host_allowed
from dwatch.crawlers.transport import AddressError, AddressGuard, PinnedTransport, Resolver, system_resolver
from dwatch.reports.retrieval import FetchFailure

_RETRY_STATUSES = {429, 500, 502, 503, 504}
# robots.txt that cannot be had this way is "unavailable", which RFC 9309 treats like a 404.
_ROBOTS_UNAVAILABLE = {FetchFailure.HOST_NOT_ALLOWED, FetchFailure.TOO_MANY_REDIRECTS}


class Fetcher:
    """One per crawl process: it owns the connection pools, the politeness gates and robots.txt cache.

    `resolver` and `clock` are the system's unless a test injects its own (a rebinding DNS answer,
    time passing for robots.txt's expiry)."""

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        shared_gates: SharedGates | None = None,
        *,
        resolver: Resolver = system_resolver,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self.politeness = Politeness(self.policy.per_host_concurrency, self.policy.per_host_interval, shared_gates)
        # Bounds sockets and memory however many agencies are crawled at once; the pool is as large,
        # so a request holding a slot never waits for a connection.
        self._in_flight = asyncio.Semaphore(self.policy.max_in_flight)
        self._guard = AddressGuard(resolver, self.policy.allow_private_addresses, self.policy.allowed_networks)
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._robots = robots.RobotsCache(self.policy.robots_ttl, clock)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object | TracebackType) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def _client(self, verify: bool) -> httpx.AsyncClient:
        if verify not in self._clients:
            limits = httpx.Limits(
                max_connections=self.policy.max_in_flight, max_keepalive_connections=self.policy.max_in_flight
            )
            self._clients[verify] = httpx.AsyncClient(
                transport=PinnedTransport(self._guard, verify=verify, limits=limits),
                follow_redirects=False,
                headers={
                    "User-Agent": self.policy.user_agent,
                    "Accept-Language": "zh-CN,zh;q=0.9",
                    "Accept-Encoding": ACCEPT_ENCODING,
                },
                timeout=httpx.Timeout(self.policy.read_timeout, connect=self.policy.connect_timeout),
                trust_env=False,
            )
        return self._clients[verify]

    async def fetch(
        self, url: str, target: CrawlTarget, conditional: Conditional | None = None, *, max_bytes: int | None = None
    ) -> Fetched:
        """GET `url` for `target`, retrying what is worth retrying; `max_bytes` lowers the policy's size
        limit for this fetch (a report's image). Raises FetchError."""
        attempt = 0
        while True:
            attempt += 1
            try:
                fetched = await self._fetch_following_redirects(url, target, conditional, max_bytes)
            except FetchError as error:
                retryable = error.failure.retryable or error.status in _RETRY_STATUSES
                if not retryable or attempt > self.policy.retries:
                    raise
                await asyncio.sleep(self.policy.retry_backoff * 2 ** (attempt - 1))
                continue
            fetched.attempts = attempt
            return fetched

    async def _fetch_following_redirects(
        self,
        url: str,
        target: CrawlTarget,
        conditional: Conditional | None,
        max_bytes: int | None,
        *,
        check_robots: bool = True,
    ) -> Fetched:
        redirects: list[str] = []
        current = url
        for _ in range(self.policy.max_redirects + 1):
            await self._admit(current, target, check_robots)
            response = await self._get(current, target, conditional if not redirects else None, max_bytes)
            if isinstance(response, str):  # a redirect: the next location
                redirects.append(current)
                current = response
                continue
            response.url = url
            response.redirects = redirects
            return response
        raise FetchError(FetchFailure.TOO_MANY_REDIRECTS, url, f"more than {self.policy.max_redirects} redirects")

    async def _admit(self, url: str, target: CrawlTarget, check_robots: bool) -> None:
        if urlsplit(url).scheme not in {"http", "https"}:
            raise FetchError(FetchFailure.HOST_NOT_ALLOWED, url, "only http and https are fetched")
        if not host_allowed(url, target.allowed_hosts):
            raise FetchError(
                FetchFailure.HOST_NOT_ALLOWED, url, f"host not in the agency's allowed hosts {target.allowed_hosts}"
            )
        if check_robots and self.policy.respect_robots and not await self._robots_allow(url, target):
            raise FetchError(FetchFailure.ROBOTS, url, "disallowed by robots.txt")

    async def _get(
        self, url: str, target: CrawlTarget, conditional: Conditional | None, max_bytes: int | None = None
    ) -> Fetched | str:
        """One request: a Fetched, or the absolute URL a redirect points to."""
        headers = {}
        if conditional and conditional.etag:
            headers["If-None-Match"] = conditional.etag
        if conditional and conditional.last_modified:
            headers["If-Modified-Since"] = conditional.last_modified
        try:
            return await self._get_verified(url, headers, verify=True, max_bytes=max_bytes)
        except FetchError as error:
            if error.failure is not FetchFailure.TLS or not target.allow_insecure_tls:
                raise
        fetched = await self._get_verified(url, headers, verify=False, max_bytes=max_bytes)
        if isinstance(fetched, Fetched):
            fetched.insecure_tls = True
        return fetched

    async def _get_verified(
        self, url: str, headers: dict[str, str], verify: bool, max_bytes: int | None = None
    ) -> Fetched | str:
        try:
            # The time limit starts once a politeness slot is ours: queueing behind a host's other
            # requests is not the site being slow.
            async with (
                self.politeness.slot(url),
                self._in_flight,
                asyncio.timeout(self.policy.total_timeout),
                self._client(verify).stream("GET", url, headers=headers) as response,
            ):
                if response.is_redirect and "location" in response.headers:
                    return urljoin(url, response.headers["location"])
                if response.status_code >= 400:
                    raise FetchError(
                        FetchFailure.HTTP_STATUS, url, f"HTTP {response.status_code}", status=response.status_code
                    )
                content = None if response.status_code == 304 else await self._read_capped(response, url, max_bytes)
        except TimeoutError as exc:
            raise FetchError(
                FetchFailure.TIMEOUT, url, f"no complete answer within {self.policy.total_timeout}s"
            ) from exc
        except AddressError as exc:
            raise FetchError(exc.failure, url, exc.detail) from exc
        except httpx.TransportError as exc:
            raise transport_error(exc, url) from exc
        return Fetched(
            url=url,
            final_url=url,
            status=response.status_code,
            content_type=response.headers.get("content-type"),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            content=content,
            sha256=hashlib.sha256(content).hexdigest() if content is not None else None,
            fetched_at=datetime.now(UTC),
        )

    async def _read_capped(self, response: httpx.Response, url: str, max_bytes: int | None) -> bytes:
        limit = min(self.policy.max_body_bytes, max_bytes or self.policy.max_body_bytes)
        length = response.headers.get("content-length")
        declared = int(length) if length and length.isdigit() else None
        if declared is not None and declared > limit:
            raise FetchError(FetchFailure.TOO_LARGE, url, f"declared {declared} bytes, over the limit of {limit}")
        return await read_body(response.aiter_raw(), url, response.headers.get("content-encoding"), limit, declared)

    async def _robots_allow(self, url: str, target: CrawlTarget) -> bool:
        parts = urlsplit(url)

        async def load(origin: str) -> RobotFileParser | None:
            return await self._load_robots(origin, target)

        return await self._robots.allows(f"{parts.scheme}://{parts.netloc}", url, self.policy.user_agent, load)

    async def _load_robots(self, origin: str, target: CrawlTarget) -> RobotFileParser | None:
        """robots.txt of an origin; None (everything allowed) when it is absent; raises when the
        site is unreachable or answers 5xx, which disallows everything (RFC 9309)."""
        url = f"{origin}/robots.txt"
        try:
            fetched = await self._fetch_following_redirects(url, target, None, None, check_robots=False)
        except FetchError as error:
            if error.failure in _ROBOTS_UNAVAILABLE or (error.status is not None and error.status < 500):
                return None
            raise
        return robots.parse(fetched.content) if fetched.content is not None else None
