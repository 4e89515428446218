"""Revision 0008: document versions numbered per agency-year; earlier rows renumbered, duplicates folded."""

from __future__ import annotations

import json

from migration_rows import insert_supervisor_and_agency
from sqlalchemy import text

from dwatch.store import migrate
from dwatch.store.database import make_engine

_NOW = "2024-02-01 08:00:00"
_DOCUMENT = (
    "INSERT INTO documents (id, agency_id, report_year, url, version, final_url, http_headers, fetched_at,"
    " last_fetched_at, sha256, media_type, size) VALUES (:id, 'a1', :year, :url, :version, :url, :headers,"
    " :at, :at, :sha, 'text/html', 10)"
)


def test_upgrade_folds_the_same_bytes_into_one_version_and_renumbers_per_agency_year(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0007")
    engine = make_engine(empty_url)
    a, b = "a" * 64, "b" * 64
    with engine.begin() as connection:
        insert_supervisor_and_agency(connection, _NOW)
        for pk, year, url, version, sha, at in [
            (1, 2023, "http://a.gov.cn:8001/nb", 1, a, "2024-02-01 08:00:00"),
            # The same bytes after the site's port changed: recorded as another v1 before 0008.
            (2, 2023, "http://a.gov.cn:8002/nb", 1, a, "2024-02-02 08:00:00"),
            (3, 2023, "http://a.gov.cn:8002/nb", 2, b, "2024-02-03 08:00:00"),
            # The next year's report at the URL of this year's: v2 of that URL before 0008.
            (4, 2024, "http://a.gov.cn:8001/nb", 2, b, "2025-02-01 08:00:00"),
        ]:
            values = {"id": pk, "year": year, "url": url, "version": version, "sha": sha, "at": at}
            connection.execute(text(_DOCUMENT), values | {"headers": f'{{"etag": "{pk}"}}'})
        connection.execute(
            text(
                "INSERT INTO reports (id, document_id, schema_version, parsed_at, content)"
                " VALUES (1, 2, '1', :now, '{}')"
            ),
            {"now": _NOW},
        )
        connection.execute(
            text(
                "INSERT INTO agency_status (agency_id, report_year, status, detail, document_id, changed_at,"
                " checked_at) VALUES ('a1', 2023, 'compliant', '', 2, :now, :now)"
            ),
            {"now": _NOW},
        )
    engine.dispose()

    migrate.upgrade(empty_url)

    engine = make_engine(empty_url)
    with engine.begin() as connection:
        documents = connection.execute(
            text("SELECT id, report_year, version, url, sha256 FROM documents ORDER BY id")
        ).all()
        headers = connection.execute(text("SELECT http_headers FROM documents WHERE id = 1")).scalar_one()
        referring = connection.execute(
            text("SELECT r.document_id, s.document_id FROM reports r, agency_status s")
        ).one()
    engine.dispose()
    assert [tuple(d) for d in documents] == [
        (1, 2023, 1, "http://a.gov.cn:8002/nb", a),  # folded: where it was seen last
        (3, 2023, 2, "http://a.gov.cn:8002/nb", b),
        (4, 2024, 1, "http://a.gov.cn:8001/nb", b),
    ]
    assert (json.loads(headers) if isinstance(headers, str) else headers) == {"etag": "2"}  # that sighting's
    assert tuple(referring) == (1, 1)
