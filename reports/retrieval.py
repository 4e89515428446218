"""What looking for an agency's report came to: found, missing or unreachable, and why a fetch failed.

The crawlers report them; the compliance status of a report that was not found (missing, unreachable)
and the workflows' crawl results are read from them.
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
    CONNECTION = "connection"
    TLS = "tls"
    HTTP_STATUS = "http-status"
    TOO_MANY_REDIRECTS = "too-many-redirects"
    TRUNCATED = "truncated"

    @property
    def retryable(self) -> bool:
        return self in {FetchFailure.TIMEOUT, FetchFailure.CONNECTION, FetchFailure.TRUNCATED}
