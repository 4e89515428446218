"""Issue 18 item 3: content-encoding bombs from a loopback server, decoded under the size limit.

The production size limit (50 MB) is kept: a bomb must end with a typed FetchError while the fetch's
peak memory (every Python allocation, tracemalloc) stays under 150 MB.
"""

from __future__ import annotations

import asyncio
import gzip
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path

import pytest
from dwatch.crawlers.errors import FetchError
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import CrawlTarget, Fetched, FetchPolicy
from dwatch.reports.retrieval import FetchFailure
from hostile_support import Answer, hostile_servers, zero_bomb

POLICY = FetchPolicy(allow_private_addresses=True, respect_robots=False, retries=0, read_timeout=20)
PEAK_LIMIT = 150 * 1024 * 1024
BOMB = 256 * 1024 * 1024  # inflated size: five times the limit, from about 260 KB
PAGE = "<html><body>政府信息公开工作年度报告</body></html>".encode()


def _fetch(answer: Answer) -> tuple[Fetched | FetchError, int]:
    """Fetch /x answered by `answer`; the result or the error, and the peak memory of the fetch."""
    with hostile_servers({"127.0.0.1": {"/x": answer}}) as (server,):
        url = f"http://127.0.0.1:{server.port}/x"
        target = CrawlTarget(agency_id="a", name="机关", listing_urls=[url], allowed_hosts=[f"127.0.0.1:{server.port}"])

        async def run() -> Fetched | FetchError:
            async with Fetcher(POLICY) as fetcher:
                try:
                    return await fetcher.fetch(url, target)
                except FetchError as error:
                    return error

        tracemalloc.start()
        try:
            result = asyncio.run(run())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return result, peak


def test_stacked_gzip_is_refused_before_inflating() -> None:
    # The attack's shape: a gzip of a gzip of zeros, about 1 KB, declared "gzip, gzip".
    body = gzip.compress(zero_bomb(BOMB, "gzip"), 9)
    assert len(body) < 4096
    result, peak = _fetch(Answer(body=body, headers={"Content-Encoding": "gzip, gzip"}))
    assert isinstance(result, FetchError) and result.failure is FetchFailure.ENCODING
    assert "stacked" in result.detail and result.reason == "内容编码无效"
    assert peak < PEAK_LIMIT


@pytest.mark.parametrize("container, coding", [("gzip", "gzip"), ("zlib", "deflate"), ("raw", "deflate")])
def test_deep_gzip_and_deflate_bombs_stop_at_the_size_limit(container: str, coding: str) -> None:
    body = zero_bomb(BOMB, container)
    result, peak = _fetch(Answer(body=body, headers={"Content-Encoding": coding}))
    assert isinstance(result, FetchError) and result.failure is FetchFailure.TOO_LARGE, result
    assert result.reason == "页面过大"
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "gzip, br", "x-unknown"])
def test_unknown_or_stacked_encodings_are_refused(coding: str) -> None:
    result, _ = _fetch(Answer(body=PAGE, headers={"Content-Encoding": coding}))
    assert isinstance(result, FetchError) and result.failure is FetchFailure.ENCODING


def test_corrupt_gzip_is_a_typed_error() -> None:
    body = gzip.compress(PAGE)
    corrupt = body[:10] + bytes(b ^ 0xFF for b in body[10:20]) + body[20:]
    result, _ = _fetch(Answer(body=corrupt, headers={"Content-Encoding": "gzip"}))
    assert isinstance(result, FetchError) and result.failure is FetchFailure.ENCODING


def test_gzip_cut_short_is_truncated() -> None:
    body = gzip.compress(PAGE * 100)
    result, _ = _fetch(Answer(body=body[: len(body) // 2], headers={"Content-Encoding": "gzip"}))
    assert isinstance(result, FetchError) and result.failure is FetchFailure.TRUNCATED


@pytest.mark.parametrize(
    "coding, body",
    [
        ("gzip", gzip.compress(PAGE)),
        ("x-gzip", gzip.compress(PAGE)),
        ("deflate", zlib.compress(PAGE)),
        ("deflate", zlib.compress(PAGE, wbits=-15)),  # raw deflate, as some servers send it
        ("identity", PAGE),
        ("", PAGE),
    ],
)
def test_single_encodings_are_decoded(coding: str, body: bytes) -> None:
    result, _ = _fetch(Answer(body=body, headers={"Content-Encoding": coding} if coding else {}))
    assert isinstance(result, Fetched), result
    assert result.content == PAGE


# Run in a child process: the address-space limit must not reach the test runner.
_UNDER_MEMORY_LIMIT = """
import asyncio, resource, sys
sys.path.insert(0, sys.argv[1])
from hostile_support import Answer, hostile_servers, zero_bomb
from dwatch.crawlers.errors import FetchError
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import CrawlTarget, FetchPolicy

routes = {"/bomb": Answer(body=zero_bomb(256 << 20), headers={"Content-Encoding": "gzip"}), "/ok": Answer(body=b"ok")}
with hostile_servers({"127.0.0.1": routes}) as (server,):
    base = f"http://127.0.0.1:{server.port}"
    target = CrawlTarget(agency_id="a", name="n", listing_urls=[base], allowed_hosts=[f"127.0.0.1:{server.port}"])

    async def run() -> None:
        async with Fetcher(FetchPolicy(allow_private_addresses=True, respect_robots=False, retries=0)) as fetcher:
            with open("/proc/self/status") as status:
                size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize"))
            # 30 MB more than now: less than the 50 MB size limit, so memory runs out first.
            resource.setrlimit(resource.RLIMIT_AS, (size + 30 * 2**20, resource.RLIM_INFINITY))
            try:
                await fetcher.fetch(base + "/bomb", target)
            except FetchError as error:
                print(error.failure.value, error.detail)
            print((await fetcher.fetch(base + "/ok", target)).content.decode())

    asyncio.run(run())
"""


def test_memory_error_while_decoding_is_a_typed_error() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _UNDER_MEMORY_LIMIT, str(Path(__file__).parents[1])],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == ["too-large out of memory while reading the body", "ok"]
