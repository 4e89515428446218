"""The dossier of a report that could not be fetched shows supervisors the reason in Chinese and, under
it, the technical detail for ops (issue 20); remote text is shown inert."""

from __future__ import annotations

import html

from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.reports.compliance import ComplianceStatus
from fastapi.testclient import TestClient
from web_support import YEAR, agency_with

from dwatch.store.database import Store
from dwatch.store.status import record_status, statuses

OPS_LABEL = "技术细节（供运维排查）"


def _current(store: Store, agency_id: str) -> tuple[str, str, str | None]:
    with store.session() as session:
        [row] = statuses(session, YEAR, [agency_id])
        return row.status, row.detail, row.failure_detail


def test_an_unreachable_agency_shows_the_reason_then_the_technical_detail(
    client: TestClient, store: Store, farm: Farm
) -> None:
    agency_id = agency_with(farm, Scenario.DOWN)
    status, reason, failure_detail = _current(store, agency_id)  # as the crawl and review recorded them
    assert status == ComplianceStatus.UNREACHABLE and reason and failure_detail
    page = client.get(f"/agencies/{agency_id}/{YEAR}").text
    assert html.escape(reason, quote=False) in page
    assert OPS_LABEL in page and html.escape(failure_detail, quote=False) in page
    # Supervisors read the Chinese reason first; the detail is below it.
    assert page.index(html.escape(reason, quote=False)) < page.index(OPS_LABEL)
    body = client.get(f"/api/v1/agencies/{agency_id}/years/{YEAR}").json()
    assert body["status"]["failure_detail"] == failure_detail


def test_a_compliant_agency_shows_no_technical_detail(client: TestClient, farm: Farm) -> None:
    page = client.get(f"/agencies/{agency_with(farm, Scenario.COMPLIANT)}/{YEAR}").text
    assert 'id="status"' in page and OPS_LABEL not in page


def test_a_detail_is_shown_only_with_a_failure_status(client: TestClient, store: Store, farm: Farm) -> None:
    agency_id = agency_with(farm, Scenario.DEFECTIVE)
    with store.session() as session:
        record_status(session, agency_id, YEAR, ComplianceStatus.DEFECTIVE, "T3-03", failure_detail="stale detail")
    page = client.get(f"/agencies/{agency_id}/{YEAR}").text
    assert "T3-03" in page and OPS_LABEL not in page and "stale detail" not in page


def test_a_hostile_failure_detail_is_shown_inert(client: TestClient, store: Store, farm: Farm) -> None:
    agency_id = agency_with(farm, Scenario.DOWN)
    hostile = '<script>alert("x")</script>\x1b]0;owned\x07 TLS alert \u202egnp.exe'
    with store.session() as session:
        record_status(session, agency_id, YEAR, ComplianceStatus.UNREACHABLE, "连接被拒绝", failure_detail=hostile)
    page = client.get(f"/agencies/{agency_id}/{YEAR}").text
    assert "<script>alert" not in page and "\x1b" not in page and "\u202e" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; TLS alert gnp.exe" in page
