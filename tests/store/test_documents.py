from __future__ import annotations

from datetime import date

from factories import fetched
from sqlalchemy import select

from dwatch.store.database import Store
from dwatch.store.documents import record_fetch, versions
from dwatch.store.reports import load_report, save_report
from dwatch.store.tables import Document
from reports.model import AnnualReport, SourceInfo


def test_versions_per_url(registered: Store) -> None:
    first = fetched(hours=0)
    with registered.session() as session:
        v1 = record_fetch(session, registered.blobs, first, b"<html>v1</html>")
        again = record_fetch(session, registered.blobs, fetched(hours=5), b"<html>v1</html>")
        v2 = record_fetch(session, registered.blobs, fetched(hours=9), b"<html>v2 changed</html>")
        other = record_fetch(session, registered.blobs, fetched(url="https://www.huaihua.gov.cn/a.pdf"), b"%PDF")

    assert (v1.version, v1.is_new_version) == (1, True)
    assert (again.id, again.version, again.is_new_version) == (v1.id, 1, False)
    assert (v2.version, v2.is_new_version, v2.previous_sha256) == (2, True, v1.sha256)
    assert (other.version, other.is_new_version) == (1, True)
    assert registered.blobs.get(v2.sha256) == b"<html>v2 changed</html>"

    with registered.session() as session:
        rows = versions(session, first.url)
        assert [(d.version, d.sha256) for d in rows] == [(1, v1.sha256), (2, v2.sha256)]
        one = rows[0]
        assert one.fetched_at == first.fetched_at
        assert one.last_fetched_at == fetched(hours=5).fetched_at
        assert (one.published_on, one.published_source, one.published_raw) == (
            date(2024, 1, 25),
            "meta",
            "2024-01-25 10:00",
        )
        assert one.http_status == 200
        assert one.http_headers["etag"] == '"abc"'
        assert one.size == len(b"<html>v1</html>")
        assert len(session.scalars(select(Document)).all()) == 3


def test_parsed_report_round_trips_as_json(registered: Store) -> None:
    report = AnnualReport(
        source=SourceInfo(name="nb.html", sha256="a" * 64, media_type="text/html", size=10),
        title="怀化市公安局交警支队2023年政府信息公开工作年度报告",
        agency="怀化市公安局交警支队",
        year=2023,
    )
    with registered.session() as session:
        document = record_fetch(session, registered.blobs, fetched(), b"<html/>")
        report_id = save_report(session, document.id, report)
    with registered.session() as session:
        assert load_report(session, report_id) == report
