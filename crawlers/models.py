"""Inputs and results of crawling, as typed models (they cross into activities and storage)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from ipaddress import IPv4Network, IPv6Network

from dwatch.reports.model import DateEvidence
from dwatch.reports.retrieval import FetchFailure, Outcome
from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteSelectors(_Model):
    """Per-agency overrides for sites the generic path does not read right."""

    link_css: str | None = Field(default=None, description="CSS selector of report links on a listing page")
    next_page_css: str | None = Field(default=None, description="CSS selector of the 'next page' link")
    link_url_pattern: str | None = Field(
        default=None, description="regular expression the report link's URL must match (sites with unhelpful titles)"
    )

    @field_validator("link_url_pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            re.compile(pattern)  # a bad pattern is refused at registry import, not during a crawl
        return pattern


class CrawlTarget(_Model):
    """What the crawler needs to know about one agency (built from the registry)."""

    agency_id: str
    name: str
    listing_urls: list[str] = Field(min_length=1)
    allowed_hosts: list[str] = Field(description="hosts the crawler may visit; '*.example.gov.cn' allows subdomains")
    selectors: SiteSelectors = Field(default_factory=SiteSelectors)
    allow_insecure_tls: bool = False


class FetchPolicy(_Model):
    """Politeness and safety limits; the defaults are the production ones."""

    user_agent: str = "DisclosureWatch/0.1 (annual-report supervision; +https://disclosure.watch/crawler)"
    per_host_concurrency: int = Field(default=2, ge=1)
    max_in_flight: int = Field(default=256, ge=1, description="requests in flight across all hosts (the pool size)")
    per_host_interval: float = Field(default=1.0, ge=0, description="minimum seconds between request starts per host")
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = Field(default=120.0, description="a whole download, however slowly it trickles")
    max_body_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 5
    retries: int = Field(default=2, ge=0, description="extra attempts for retryable failures")
    retry_backoff: float = 1.0
    respect_robots: bool = True
    allow_private_addresses: bool = Field(
        default=False, description="every non-public address (loopback, private, link-local); tests and demo only"
    )
    allowed_networks: list[IPv4Network | IPv6Network] = Field(
        default_factory=list, description="non-public networks the crawler may still reach (an intranet mirror, tests)"
    )
    robots_ttl: float = Field(default=24 * 3600.0, gt=0, description="seconds a robots.txt answer is kept (RFC 9309)")
    max_listing_pages: int = 10

    @field_validator("allowed_networks", mode="before")
    @classmethod
    def _json_from_environment(cls, value: object) -> object:
        # Environment variables are text: lists come as JSON, as in the other settings.
        return json.loads(value) if isinstance(value, str) else value


class Conditional(_Model):
    """Validators from an earlier fetch of the same URL, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


class Fetched(_Model):
    """A successful fetch. `content` is None when the server answered 304 Not Modified."""

    url: str
    final_url: str
    status: int
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content: bytes | None = None
    sha256: str | None = None
    redirects: list[str] = Field(default_factory=list)
    insecure_tls: bool = False
    fetched_at: datetime
    attempts: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Candidate(_Model):
    """A link considered on a listing page, with the score of its title for the year."""

    title: str
    url: str
    score: float
    listed_date: date | None = None


class Discovery(_Model):
    agency_id: str
    year: int
    outcome: Outcome
    reason: str = Field(default="", description="why missing/unreachable, for the people reading the alert (zh-CN)")
    failure: FetchFailure | None = None
    failure_detail: str = Field(default="", description="the technical detail of the failure, for ops (English)")
    detail_url: str | None = None
    document: Fetched | None = None
    document_title: str | None = None
    attachments: list[str] = Field(default_factory=list)
    publication_date: date | None = None
    date_evidence: list[DateEvidence] = Field(default_factory=list)
    candidates: list[Candidate] = Field(default_factory=list)
    pages_visited: int = 0
    insecure_tls: bool = False
