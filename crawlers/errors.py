"""The one error type of the crawler: a failed fetch with its reason and the URL."""

from __future__ import annotations

from dwatch.reports.retrieval import FetchFailure


class FetchError(Exception):
    def __init__(self, failure: FetchFailure, url: str, detail: str, status: int | None = None) -> None:
        super().__init__(f"{failure.value}: {url}: {detail}")
        self.failure = failure
        self.url = url
        self.detail = detail
        self.status = status
