"""Crawl speed and memory: discover and fetch the reports of N farm agencies.

    .venv/bin/python bench/crawl.py [--agencies 1000] [--latency 0.05]

The farm runs in its own process (pre-rendered, `latency` added to every response); this process
crawls with the production politeness limits (2 requests in flight and 1 request/s per host).
Documents are hashed and dropped as they arrive, as the archiving activity does. Prints the wall
time, outcomes against the farm's plan, and resident memory sampled along the way.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dwatch.crawlers.discover import discover  # noqa: E402
from dwatch.crawlers.fetch import Fetcher  # noqa: E402
from dwatch.crawlers.models import CrawlTarget, FetchPolicy  # noqa: E402
from dwatch.demo.sitefarm.app import FarmApp  # noqa: E402
from dwatch.demo.sitefarm.plan import plan  # noqa: E402


def rss_mb() -> float:
    with Path("/proc/self/statm").open() as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1024 / 1024


async def crawl(targets: list[CrawlTarget], year: int, samples: list[tuple[int, float]]) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    policy = FetchPolicy(allow_private_addresses=True, read_timeout=10, total_timeout=30)
    done = 0

    async def one(target: CrawlTarget) -> None:
        nonlocal done
        result = await discover(target, year, fetcher)
        outcomes[result.outcome.value] += 1
        result.document = None  # archived and dropped: nothing accumulates
        done += 1
        if done % max(1, len(targets) // 4) == 0:
            samples.append((done, rss_mb()))

    async with Fetcher(policy) as fetcher:
        await asyncio.gather(*(one(t) for t in targets))
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    command = [sys.executable, "-m", "dwatch.demo.sitefarm", "--agencies", str(args.agencies), "--year", str(args.year)]
    command += ["--latency", str(args.latency), "--prerender"]
    started = time.perf_counter()
    farm = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert farm.stdout is not None
        port = int(farm.stdout.readline().split()[1])
        print(f"farm of {args.agencies} agencies ready in {time.perf_counter() - started:.1f}s (port {port})")
        agencies = plan(args.agencies, args.year)
        targets = [
            CrawlTarget(
                agency_id=a.agency_id,
                name=a.name,
                listing_urls=[FarmApp.listing_url(a, port)],
                allowed_hosts=[f"{a.address}:{port}"],
            )
            for a in agencies
        ]
        samples: list[tuple[int, float]] = [(0, rss_mb())]
        started = time.perf_counter()
        outcomes = asyncio.run(crawl(targets, args.year, samples))
        elapsed = time.perf_counter() - started
    finally:
        farm.terminate()
        farm.wait(30)
    expected = Counter(a.expected_outcome for a in agencies)
    print(f"crawled {args.agencies} agencies in {elapsed:.1f}s ({args.agencies / elapsed:.1f} agencies/s)")
    print(f"outcomes: {dict(outcomes)}; the farm's plan: {dict(expected)}")
    print("resident memory (MB) after N agencies: " + ", ".join(f"{n}: {mb:.0f}" for n, mb in samples))


if __name__ == "__main__":
    main()
