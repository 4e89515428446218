"""Issue 20 item 3: every fetch failure reaches supervisors as one of a few Chinese reasons, the
technical (English) detail kept apart for ops. Real failures from loopback servers where cheap."""

from __future__ import annotations

import asyncio
import re

import pytest
from dwatch.crawlers.discover import discover
from dwatch.crawlers.errors import FetchError
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import CrawlTarget, Fetched, FetchPolicy
from dwatch.reports.retrieval import FailureReason, FetchFailure, Outcome, failure_reason
from hostile_support import Answer, Fault, hostile_servers, refused_port

POLICY = FetchPolicy(
    allow_private_addresses=True,
    respect_robots=False,
    retries=0,
    read_timeout=1,
    total_timeout=3,
    max_body_bytes=1024 * 1024,
)
_LATIN = re.compile(r"[A-Za-z]")


def _target(port: int) -> CrawlTarget:
    return CrawlTarget(
        agency_id="a", name="机关", listing_urls=[f"http://127.0.0.1:{port}/"], allowed_hosts=[f"127.0.0.1:{port}"]
    )


def _failure(url: str, port: int) -> FetchError:
    async def run() -> Fetched:
        async with Fetcher(POLICY) as fetcher:
            return await fetcher.fetch(url, _target(port))

    with pytest.raises(FetchError) as raised:
        asyncio.run(run())
    return raised.value


def test_every_failure_kind_has_a_chinese_reason() -> None:
    for failure in FetchFailure:
        reason = failure_reason(failure, 500 if failure is FetchFailure.HTTP_STATUS else None)
        assert not _LATIN.search(reason.value.replace("robots.txt", "")), reason
    assert failure_reason(FetchFailure.HTTP_STATUS, 503) is FailureReason.SERVER_ERROR
    assert failure_reason(FetchFailure.HTTP_STATUS, 404) is FailureReason.NOT_FOUND
    assert failure_reason(FetchFailure.HTTP_STATUS, 403) is FailureReason.FORBIDDEN
    assert failure_reason(FetchFailure.HTTP_STATUS, 429) is FailureReason.CLIENT_ERROR
    assert failure_reason(FetchFailure.TLS) is FailureReason.TLS
    assert failure_reason(FetchFailure.TOO_LARGE) is FailureReason.TOO_LARGE


def test_refused_port_reads_connection_refused() -> None:
    port = refused_port()
    error = _failure(f"http://127.0.0.1:{port}/", port)
    assert error.failure is FetchFailure.CONNECTION
    assert error.reason == "连接被拒绝"
    assert "refused" in error.detail.lower() or "111" in error.detail  # the OS's own words, for ops


ROUTES = {
    "/reset": Answer(fault=Fault.RESET),
    "/hang": Answer(fault=Fault.HANG),
    "/big": Answer(body=bytes(2 * 1024 * 1024)),
    "/big-declared": Answer(body=b"x", headers={"Content-Length": str(10**9)}),
    "/down": Answer(503, b"busy"),
    "/gone": Answer(404, b"no"),
    "/forbidden": Answer(403, b"no"),
    "/cut": Answer(body=b"abc", headers={"Content-Length": "100", "Connection": "close"}),
    "/bomb": Answer(body=b"x", headers={"Content-Encoding": "gzip, gzip"}),
}


@pytest.mark.parametrize(
    "path, failure, reason",
    [
        ("/reset", FetchFailure.CONNECTION, "连接被重置"),
        ("/hang", FetchFailure.TIMEOUT, "连接超时"),
        ("/big", FetchFailure.TOO_LARGE, "页面过大"),
        ("/big-declared", FetchFailure.TOO_LARGE, "页面过大"),
        ("/down", FetchFailure.HTTP_STATUS, "服务器错误（HTTP 503）"),
        ("/gone", FetchFailure.HTTP_STATUS, "页面不存在（HTTP 404）"),
        ("/forbidden", FetchFailure.HTTP_STATUS, "拒绝访问（HTTP 403）"),
        ("/cut", FetchFailure.TRUNCATED, "传输中断"),
        ("/bomb", FetchFailure.ENCODING, "内容编码无效"),
    ],
)
def test_real_failures_read_in_chinese(path: str, failure: FetchFailure, reason: str) -> None:
    with hostile_servers({"127.0.0.1": ROUTES}) as (server,):
        error = _failure(f"http://127.0.0.1:{server.port}{path}", server.port)
    assert error.failure is failure, error
    assert error.reason == reason
    assert error.detail and not re.search(r"[\u4e00-\u9fff]", error.detail)  # the technical detail stays English


def test_off_host_redirect_reads_in_chinese() -> None:
    routes = {"/r": Answer(302, headers={"Location": "http://127.0.0.9:1/mirror"})}
    with hostile_servers({"127.0.0.1": routes}) as (server,):
        error = _failure(f"http://127.0.0.1:{server.port}/r", server.port)
    assert error.failure is FetchFailure.HOST_NOT_ALLOWED and error.reason == "不在允许访问的网站范围内"


def test_discovery_reason_is_chinese_and_keeps_the_detail_for_ops() -> None:
    port = refused_port()

    async def run() -> tuple[str, str, Outcome]:
        async with Fetcher(POLICY) as fetcher:
            found = await discover(_target(port), 2024, fetcher)
        return found.reason, found.failure_detail, found.outcome

    reason, detail, outcome = asyncio.run(run())
    assert outcome is Outcome.UNREACHABLE
    assert reason == f"栏目页无法访问：连接被拒绝（http://127.0.0.1:{port}/）"
    assert detail and "连接" not in detail
