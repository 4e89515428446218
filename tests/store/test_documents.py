from __future__ import annotations

from datetime import date

from dwatch.reports.model import AnnualReport, SourceInfo
from factories import AGENCY, YEAR, fetched
from sqlalchemy import select

from dwatch.store.database import Store
from dwatch.store.documents import found_at, record_fetch, versions
from dwatch.store.reports import load_report, save_report
from dwatch.store.tables import Document


def test_versions_per_agency_year(registered: Store) -> None:
    first = fetched(hours=0)
    with registered.session() as session:
        v1 = record_fetch(session, registered.blobs, first, b"<html>v1</html>")
        again = record_fetch(session, registered.blobs, fetched(hours=5), b"<html>v1</html>")
        v2 = record_fetch(session, registered.blobs, fetched(hours=9), b"<html>v2 changed</html>")
        moved = fetched(url="https://www.huaihua.gov.cn/a.pdf", hours=10)
        v3 = record_fetch(session, registered.blobs, moved, b"%PDF")

    assert (v1.version, v1.is_new_version) == (1, True)
    assert (again.id, again.version, again.is_new_version) == (v1.id, 1, False)
    assert (v2.version, v2.is_new_version, v2.previous_sha256) == (2, True, v1.sha256)
    # Other bytes at another URL: the agency replaced its report, the next version of the agency-year.
    assert (v3.version, v3.is_new_version, v3.previous_sha256) == (3, True, v2.sha256)
    assert registered.blobs.get(v2.sha256) == b"<html>v2 changed</html>"

    with registered.session() as session:
        rows = versions(session, AGENCY, YEAR)
        assert [(d.version, d.sha256) for d in rows] == [(1, v1.sha256), (2, v2.sha256), (3, v3.sha256)]
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


def test_the_same_bytes_at_another_url_are_the_same_version(registered: Store) -> None:
    """The identity of a report is its agency-year and its bytes: a site that moved (another scheme,
    host or port, as the demo's sites on every start) serves the same version; changed bytes are v2."""
    here = "http://127.77.0.1:39545/files/202601/P0100099.docx"
    there = "http://127.77.0.1:38425/files/202601/P0100099.docx"
    with registered.session() as session:
        v1 = record_fetch(session, registered.blobs, fetched(url=here), b"report")
        seen = record_fetch(session, registered.blobs, fetched(url=there, hours=24), b"report")
        other_year = record_fetch(
            session, registered.blobs, fetched(url=here).model_copy(update={"report_year": YEAR + 1}), b"next year"
        )

    assert (seen.id, seen.version, seen.is_new_version) == (v1.id, 1, False)
    assert (other_year.version, other_year.is_new_version) == (1, True)  # one URL, two agency-years
    with registered.session() as session:
        [kept] = versions(session, AGENCY, YEAR)
        # Where the version was seen last, with that response's validators, so the next check is conditional.
        assert (kept.url, kept.final_url, kept.fetched_at) == (
            there,
            fetched(url=there).final_url,
            fetched().fetched_at,
        )
        assert kept.last_fetched_at == fetched(hours=24).fetched_at
        assert found_at(session, AGENCY, YEAR, there) == kept and found_at(session, AGENCY, YEAR, here) is None

    with registered.session() as session:
        changed = record_fetch(session, registered.blobs, fetched(url=there, hours=48), b"report, corrected")
        late = record_fetch(session, registered.blobs, fetched(url=here, hours=36), b"report, corrected")
    assert (changed.version, changed.is_new_version, changed.previous_sha256) == (2, True, v1.sha256)
    assert (late.id, late.is_new_version) == (changed.id, False)
    with registered.session() as session:
        # An older sighting arriving late says nothing about where the version is now.
        assert [(d.version, d.url) for d in versions(session, AGENCY, YEAR)] == [(1, there), (2, there)]


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
