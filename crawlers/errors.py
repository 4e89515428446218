"""The one error type of the crawler: a failed fetch with its kind, the URL, the reason a supervisor
reads (zh-CN) and the technical detail for ops; and the mapping of transport exceptions onto it."""

from __future__ import annotations

import socket
import ssl

import httpx
from dwatch.reports.retrieval import FailureReason, FetchFailure, failure_reason


class FetchError(Exception):
    def __init__(
        self,
        failure: FetchFailure,
        url: str,
        detail: str,
        status: int | None = None,
        reason: FailureReason | None = None,
    ) -> None:
        super().__init__(f"{failure.value}: {url}: {detail}")
        self.failure = failure
        self.url = url
        self.detail = detail  # technical, English: for ops and logs, not for supervisors
        self.status = status
        self.reason_kind = reason or failure_reason(failure, status)

    @property
    def reason(self) -> str:
        """What a supervisor reads, e.g. "服务器错误（HTTP 503）"."""
        return f"{self.reason_kind.value}（HTTP {self.status}）" if self.status else self.reason_kind.value


def _causes(exc: BaseException) -> list[BaseException]:
    """httpx wraps httpcore's error, which wraps the OS or ssl error: the whole chain."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


def _connection_reason(exc: BaseException) -> FailureReason:
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return FailureReason.REFUSED
        if isinstance(cause, ConnectionResetError | BrokenPipeError):
            return FailureReason.RESET
        if isinstance(cause, httpx.RemoteProtocolError) and "disconnected" in str(cause):
            return FailureReason.RESET  # closed without a word: to the reader, the same as a reset
    return FailureReason.CONNECTION


def transport_error(exc: httpx.TransportError, url: str) -> FetchError:
    """The FetchError for an httpx transport failure."""
    detail = str(exc) or type(exc).__name__
    root = _causes(exc)[-1]  # the OS's own words ("Connect call failed ... 111"): what ops look up
    if isinstance(root, OSError) and str(root) not in detail:
        detail = f"{detail} ({type(root).__name__}: {root})"
    if isinstance(exc, httpx.TimeoutException):
        return FetchError(FetchFailure.TIMEOUT, url, detail)
    if any(isinstance(cause, ssl.SSLError) for cause in _causes(exc)):
        return FetchError(FetchFailure.TLS, url, detail)
    if any(isinstance(cause, socket.gaierror) for cause in _causes(exc)):
        return FetchError(FetchFailure.DNS, url, detail)
    # A peer closing mid-body is truncation; before any response, a connection failure.
    if isinstance(exc, httpx.RemoteProtocolError) and "message body" in str(exc):
        return FetchError(FetchFailure.TRUNCATED, url, detail)
    return FetchError(FetchFailure.CONNECTION, url, detail, reason=_connection_reason(exc))
