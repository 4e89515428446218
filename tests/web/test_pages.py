"""Server-rendered pages: sign-in, CSRF, roles on forms, exports links, and crawled markup kept inert."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from dwatch.crawlers.models import Outcome
from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.demo.synthetic.render import Format, render
from dwatch.reports.compliance import latest_due_year
from dwatch.workflows.models import CrawlResult
from fastapi.testclient import TestClient
from web_support import PASSWORD, YEAR, agency_with

from dwatch.crawling import load_agencies
from dwatch.review import review_crawl
from dwatch.store.database import Store
from dwatch.store.documents import FetchedDocument, record_fetch

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)><a href="javascript:alert(2)">点我</a>'


def _login(client: TestClient, user: str) -> None:
    client.get("/login")  # the CSRF cookie
    response = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf_token": client.cookies["dwatch_csrf"], "next": "/matrix"},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/matrix")


def _triage_form(client: TestClient, finding_id: int, **fields: str) -> object:
    data = {"csrf_token": client.cookies.get("dwatch_csrf") or "", **fields}
    return client.post(f"/findings/{finding_id}/triage", data=data, follow_redirects=False)


def _finding_id(client: TestClient, farm: Farm) -> int:
    agency = agency_with(farm, Scenario.DEFECTIVE)
    return client.get("/api/v1/findings", params={"agency": agency, "rule": "T3-03"}).json()[0]["id"]


def test_pages_render_in_chinese(client: TestClient, farm: Farm) -> None:
    matrix = client.get("/matrix")
    assert matrix.status_code == 200 and f"{YEAR} 年度报告合规总览" in matrix.text
    assert "存在错误" in matrix.text and "<svg" in matrix.text
    assert client.get("/findings").status_code == 200
    dossier = client.get(f"/agencies/{agency_with(farm, Scenario.DEFECTIVE)}/{YEAR}")
    assert 'class="num hl' in dossier.text  # the cell the finding points at
    assert client.get(f"/agencies/nobody/{YEAR}").status_code == 404
    assert client.get("/agencies/x/twenty").status_code == 400
    assert client.get("/matrix?year=abc").status_code == 400


def test_wrong_password(client: TestClient) -> None:
    client.get("/login")
    data = {"username": "sup", "password": "nope", "csrf_token": client.cookies["dwatch_csrf"]}
    response = client.post("/login", data=data)
    assert response.status_code == 401 and "用户名或密码错误" in response.text


def test_login_never_redirects_off_site(client: TestClient) -> None:
    client.get("/login")
    data = {"username": "sup", "password": PASSWORD, "csrf_token": client.cookies["dwatch_csrf"]}
    response = client.post("/login", data=data | {"next": "//evil.example/"}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_triage_form_needs_login_csrf_and_role(client: TestClient, farm: Farm) -> None:
    finding_id = _finding_id(client, farm)
    client.get("/login")
    anonymous = _triage_form(client, finding_id, decision="acknowledged")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    _login(client, "ops")
    assert _triage_form(client, finding_id, decision="acknowledged").status_code == 403  # wrong role
    _login(client, "sup")
    forged = client.post(
        f"/findings/{finding_id}/triage", data={"decision": "acknowledged", "csrf_token": "x.y"}, follow_redirects=False
    )
    assert forged.status_code == 403  # no valid CSRF token
    assert _triage_form(client, finding_id, decision="waived").status_code == 303  # refused: no reason
    assert client.get(f"/api/v1/findings/{finding_id}").json()["status"] == "open"
    done = _triage_form(client, finding_id, decision="waived", reason="经核实为排版错误")
    assert done.status_code == 303
    body = client.get(f"/api/v1/findings/{finding_id}").json()
    assert (body["status"], body["status_by"], body["status_reason"]) == ("waived", "sup", "经核实为排版错误")
    page = client.get(done.headers["location"])
    assert "已标记为“已豁免”" in page.text


def test_ops_forms_show_refused_input(client: TestClient, farm: Farm) -> None:
    _login(client, "ops")
    csrf = client.cookies["dwatch_csrf"]
    unknown = client.post("/ops/recrawl", data={"csrf_token": csrf, "agency_id": "nosuch", "year": str(YEAR)})
    assert unknown.status_code == 404 and "机关“nosuch”未登记" in unknown.text
    agency = farm.agencies[0].agency_id
    not_due = client.post(
        "/ops/recheck", data={"csrf_token": csrf, "agency_id": agency, "year": str(latest_due_year() + 1)}
    )
    assert not_due.status_code == 422 and "尚未到期" in not_due.text and "无法执行" in not_due.text
    sweep = client.post("/ops/sweep", data={"csrf_token": csrf, "year": "2015"})
    assert sweep.status_code == 422 and "2015 年度超出范围" in sweep.text
    assert "完成" not in unknown.text + not_due.text and "已启动" not in sweep.text  # no success banner


def test_security_headers(client: TestClient) -> None:
    headers = client.get("/matrix").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


@pytest.fixture
def xss_agency(store: Store, farm: Farm) -> str:
    """A compliant agency whose report text (a section) carries script and markup, through the real parser."""
    agency_id = agency_with(farm, Scenario.COMPLIANT)
    truth = farm.app.report(agency_id)
    truth = truth.model_copy(update={"sections": {**truth.sections, "S1": truth.sections["S1"] + PAYLOAD}})
    url = f"http://xss.example/{agency_id}.html"
    fetched = FetchedDocument(
        agency_id=agency_id, report_year=YEAR, url=url, media_type="text/html", fetched_at=datetime.now(UTC)
    )
    with store.session() as session:
        recorded = record_fetch(session, store.blobs, fetched, render(truth, Format.HTML))
        agency = load_agencies(session, [agency_id])[0]
    crawl = CrawlResult(agency_id=agency_id, year=YEAR, outcome=Outcome.FOUND, document_url=url, sha256=recorded.sha256)
    review_crawl(store, agency, crawl)
    return agency_id


def test_crawled_markup_renders_inert(client: TestClient, xss_agency: str) -> None:
    page = client.get(f"/agencies/{xss_agency}/{YEAR}").text
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in page  # shown, as text
    assert "<script" not in page  # no script element anywhere on the page
    assert not re.search(r"<img[^>]*onerror", page)
    assert 'href="javascript:' not in page
    archived = client.get(f"/api/v1/agencies/{xss_agency}/years/{YEAR}").json()["record"]["documents"][-1]
    copy = client.get(f"/documents/{archived['id']}/archive")
    assert copy.headers["content-security-policy"].startswith("sandbox")  # the site's own scripts never run here
