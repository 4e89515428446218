"""robots.txt per RFC 9309: what a site's answer means, and a cache that expires.

- 2xx: the rules apply; 4xx (absent): everything is allowed; both are kept for `ttl` (24 h).
- 5xx or unreachable: everything is disallowed. The loader raises the failure (the site is
  unreachable for the crawl, and the reason says why); it is not cached, so a later fetch asks again.
- Redirects are followed by the loader within the fetcher's limit; one that leaves the agency's
  hosts or exceeds the limit makes robots.txt unavailable, which RFC 9309 treats like a 4xx.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.robotparser import RobotFileParser

ROBOTS_TTL = 24 * 3600.0
MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 asks crawlers to parse at least 500 KiB; the rest is ignored

# An origin → its parsed robots.txt, or None when there is none (everything allowed).
Loader = Callable[[str], Awaitable[RobotFileParser | None]]


def parse(content: bytes) -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace").splitlines())
    return parser


class RobotsCache:
    def __init__(self, ttl: float = ROBOTS_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, RobotFileParser | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allows(self, origin: str, url: str, user_agent: str, load: Loader) -> bool:
        """Whether `url` (on `origin`) may be fetched; raises what `load` raises (disallowing it)."""
        async with self._locks.setdefault(origin, asyncio.Lock()):
            entry = self._entries.get(origin)
            if entry is None or entry[0] <= self._clock():
                entry = self._entries[origin] = (self._clock() + self._ttl, await load(origin))
        parser = entry[1]
        return parser is None or parser.can_fetch(user_agent, url)
