"""The images of archived HTML reports: which image URL of a document version is which blob, or why
it could not be fetched. The review hands OCR the stored bytes (`image_source`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.reports.parsers.images import image_url
from dwatch.reports.parsers.ocr import ImageSource
from dwatch.store.blobs import BlobCorruptedError, BlobStore
from dwatch.store.tables import Document, DocumentImage


def document_images(session: Session, document_id: int) -> dict[str, DocumentImage]:
    """The document's image rows by URL."""
    rows = session.scalars(select(DocumentImage).where(DocumentImage.document_id == document_id))
    return {row.url: row for row in rows}


def record_image(
    session: Session,
    document_id: int,
    url: str,
    fetched_at: datetime,
    *,
    sha256: str | None = None,
    failure: str | None = None,
    detail: str | None = None,
) -> None:
    """The outcome of the latest attempt at one image of the document (a success replaces a failure)."""
    row = session.scalars(
        select(DocumentImage).where(DocumentImage.document_id == document_id, DocumentImage.url == url)
    ).first()
    if row is None:
        row = DocumentImage(document_id=document_id, url=url)
        session.add(row)
    row.sha256, row.failure, row.detail, row.fetched_at = sha256, failure, detail, fetched_at
    session.flush()


def image_source(session: Session, blobs: BlobStore, document: Document) -> ImageSource:
    """An <img src> of the document → the stored bytes of the image it points to (None when not stored)."""
    stored = {url: row.sha256 for url, row in document_images(session, document.id).items() if row.sha256}

    def read(src: str) -> bytes | None:
        url = image_url(src, document.final_url)
        key = stored.get(url) if url is not None else None
        try:
            return blobs.get(key) if key is not None else None
        except (KeyError, BlobCorruptedError):
            return None  # the blob is gone or damaged: the table stays unread (IMG-01), not a crash

    return read
