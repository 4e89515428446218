"""What looking for an agency's report came to: found, missing or unreachable, and why a fetch failed.

The crawlers report them; the compliance status of a report that was not found (missing, unreachable)
and the workflows' crawl results are read from them. `FetchFailure` is the machine-readable kind (it
decides retries); `FailureReason` is what supervisors read, one of a few plain Chinese reasons, while
the technical (English) detail stays with the error for ops.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    FOUND = "found"
    MISSING = "missing"  # the site answered, but no report for the year was listed
    UNREACHABLE = "unreachable"  # the site (or the report) could not be fetched


class FetchFailure(StrEnum):
    """Why a fetch failed; `retryable` ones were already retried before being reported."""

    HOST_NOT_ALLOWED = "host-not-allowed"
    ADDRESS_REFUSED = "address-refused"
    ROBOTS = "robots-disallowed"
    TOO_LARGE = "too-large"
    TIMEOUT = "timeout"
    DNS = "dns"
    CONNECTION = "connection"
    TLS = "tls"
    HTTP_STATUS = "http-status"
    TOO_MANY_REDIRECTS = "too-many-redirects"
    TRUNCATED = "truncated"
    ENCODING = "content-encoding"

    @property
    def retryable(self) -> bool:
        return self in {FetchFailure.TIMEOUT, FetchFailure.DNS, FetchFailure.CONNECTION, FetchFailure.TRUNCATED}


class FailureReason(StrEnum):
    """Why a page could not be fetched, as shown to supervisors (zh-CN)."""

    REFUSED = "连接被拒绝"
    RESET = "连接被重置"
    CONNECTION = "连接失败"
    TIMEOUT = "连接超时"
    DNS = "域名无法解析"
    TLS = "证书无效"
    TOO_LARGE = "页面过大"
    TRUNCATED = "传输中断"
    SERVER_ERROR = "服务器错误"
    NOT_FOUND = "页面不存在"
    FORBIDDEN = "拒绝访问"
    CLIENT_ERROR = "请求被拒绝"
    ROBOTS = "被robots.txt禁止"
    ADDRESS_REFUSED = "地址不允许访问"
    HOST_NOT_ALLOWED = "不在允许访问的网站范围内"
    TOO_MANY_REDIRECTS = "重定向次数过多"
    ENCODING = "内容编码无效"


_BY_FAILURE = {
    FetchFailure.HOST_NOT_ALLOWED: FailureReason.HOST_NOT_ALLOWED,
    FetchFailure.ADDRESS_REFUSED: FailureReason.ADDRESS_REFUSED,
    FetchFailure.ROBOTS: FailureReason.ROBOTS,
    FetchFailure.TOO_LARGE: FailureReason.TOO_LARGE,
    FetchFailure.TIMEOUT: FailureReason.TIMEOUT,
    FetchFailure.DNS: FailureReason.DNS,
    FetchFailure.CONNECTION: FailureReason.CONNECTION,
    FetchFailure.TLS: FailureReason.TLS,
    FetchFailure.TOO_MANY_REDIRECTS: FailureReason.TOO_MANY_REDIRECTS,
    FetchFailure.TRUNCATED: FailureReason.TRUNCATED,
    FetchFailure.ENCODING: FailureReason.ENCODING,
}


def failure_reason(failure: FetchFailure, status: int | None = None) -> FailureReason:
    """The reason a supervisor reads for a failure (connection failures are refined by the crawler)."""
    if failure is not FetchFailure.HTTP_STATUS:
        return _BY_FAILURE[failure]
    if status is None or status >= 500:
        return FailureReason.SERVER_ERROR
    if status in {404, 410}:
        return FailureReason.NOT_FOUND
    if status in {401, 403}:
        return FailureReason.FORBIDDEN
    return FailureReason.CLIENT_ERROR
