"""The document archive: every version of an agency's report for a year, its bytes in the blob store.

A document is an agency-year's report and its bytes, wherever they were found: the versions of an
agency-year are numbered 1, 2, … in the order their bytes changed. Fetching the bytes of the latest
version again, at its URL or at another one (the site moved to HTTPS or to another host or port),
only records that we saw it again (`last_fetched_at`) and where (`url`, `final_url` and the
validators of that response, so the next check is conditional there). Bytes that differ make a new
version, which is what the CHANGE category ("发布后有变动") is computed from.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dwatch.reports.model import DateEvidence
from dwatch.store.blobs import BlobStore
from dwatch.store.tables import Document

_VERSION_RACE_RETRIES = 5


class FetchedDocument(BaseModel):
    """What the crawler knows about one fetch, besides the bytes."""

    model_config = ConfigDict(extra="forbid")

    agency_id: str
    report_year: int
    url: str
    final_url: str | None = Field(default=None, description="after redirects; None when equal to url")
    http_status: int | None = None
    http_headers: dict[str, str] = Field(default_factory=dict, description="the headers worth keeping")
    media_type: str
    fetched_at: AwareDatetime
    published: DateEvidence | None = None
    workflow_run_id: int | None = None


class RecordedDocument(BaseModel):
    id: int
    version: int
    sha256: str
    is_new_version: bool
    previous_sha256: str | None = None


def _newest(session: Session, agency_id: str, report_year: int, *where: ColumnElement[bool]) -> Document | None:
    """The agency-year's newest version that meets `where`."""
    return session.scalars(
        select(Document)
        .where(Document.agency_id == agency_id, Document.report_year == report_year, *where)
        .order_by(Document.version.desc())
        .limit(1)
    ).first()


def latest_version(session: Session, agency_id: str, report_year: int) -> Document | None:
    """The agency-year's newest version, wherever it was found."""
    return _newest(session, agency_id, report_year)


def versions(session: Session, agency_id: str, report_year: int) -> list[Document]:
    return list(
        session.scalars(
            select(Document)
            .where(Document.agency_id == agency_id, Document.report_year == report_year)
            .order_by(Document.version)
        )
    )


def with_bytes(session: Session, agency_id: str, report_year: int, sha256: str) -> Document | None:
    """The agency-year's newest version with these bytes, wherever they were found."""
    return _newest(session, agency_id, report_year, Document.sha256 == sha256)


def found_at(session: Session, agency_id: str, report_year: int, url: str) -> Document | None:
    """The newest version of the agency-year last seen at `url` (what an unchanged answer there means)."""
    return _newest(session, agency_id, report_year, Document.url == url)


def record_fetch(session: Session, blobs: BlobStore, fetched: FetchedDocument, content: bytes) -> RecordedDocument:
    """Archive the bytes and record the fetch; a new version only when the bytes changed."""
    sha256 = blobs.put(content)
    for _ in range(_VERSION_RACE_RETRIES):
        latest = latest_version(session, fetched.agency_id, fetched.report_year)
        if latest is not None and latest.sha256 == sha256:
            _seen_again(latest, fetched)
            return RecordedDocument(id=latest.id, version=latest.version, sha256=sha256, is_new_version=False)
        document = _new_version(fetched, sha256, len(content), 1 if latest is None else latest.version + 1)
        try:
            # A savepoint, so losing the race for this version number only undoes this insert.
            with session.begin_nested():
                session.add(document)
        except IntegrityError:
            continue
        return RecordedDocument(
            id=document.id,
            version=document.version,
            sha256=sha256,
            is_new_version=True,
            previous_sha256=None if latest is None else latest.sha256,
        )
    raise RuntimeError(
        f"could not record a new version of {fetched.agency_id}/{fetched.report_year}: too many concurrent writers"
    )


def _seen_again(document: Document, fetched: FetchedDocument) -> None:
    """The same bytes fetched again: the newest sighting says where the version is found now."""
    if fetched.fetched_at < document.last_fetched_at:
        return
    document.last_fetched_at = fetched.fetched_at
    document.url, document.final_url = fetched.url, fetched.final_url or fetched.url
    document.http_status, document.http_headers = fetched.http_status, fetched.http_headers


def _new_version(fetched: FetchedDocument, sha256: str, size: int, version: int) -> Document:
    published = fetched.published
    at: datetime = fetched.fetched_at
    return Document(
        agency_id=fetched.agency_id,
        report_year=fetched.report_year,
        url=fetched.url,
        version=version,
        final_url=fetched.final_url or fetched.url,
        http_status=fetched.http_status,
        http_headers=fetched.http_headers,
        published_on=published.value if published else None,
        published_source=published.source.value if published else None,
        published_raw=published.raw if published else None,
        fetched_at=at,
        last_fetched_at=at,
        sha256=sha256,
        media_type=fetched.media_type,
        size=size,
        workflow_run_id=fetched.workflow_run_id,
    )
