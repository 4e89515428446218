"""Issue 20's web fixes on the demo's data: findings most severe first with info hidden, one clock (China
time to the minute on pages and in exports, ISO with offset in JSON), a failed ops action shown as a
failure with a reason a person can act on, and the dossier's "原文" only for labels that really differ."""

from __future__ import annotations

import csv
import io
import re

from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.reports.labels import MatchQuality
from dwatch.reports.model import LabelMatch
from fastapi.testclient import TestClient
from web_support import PASSWORD, YEAR, agency_with

from dwatch.config import Settings
from dwatch.store.database import Store
from dwatch.temporal.devserver import free_port
from dwatch.web.app import create_app
from dwatch.web.dossier_view import original_label

_RANK = {"error": 0, "warning": 1, "info": 2}
_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


def _login(client: TestClient, user: str) -> None:
    client.get("/login")  # the CSRF cookie
    data = {"username": user, "password": PASSWORD, "csrf_token": client.cookies["dwatch_csrf"], "next": "/matrix"}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303


def test_findings_most_severe_first_and_info_only_on_request(client: TestClient) -> None:
    default = client.get("/api/v1/findings", params={"year": YEAR}).json()
    everything = client.get("/api/v1/findings", params={"year": YEAR, "severity": "info"}).json()
    errors = client.get("/api/v1/findings", params={"year": YEAR, "severity": "error"}).json()
    assert any(f["severity"] == "info" for f in everything), "the demo has info findings (ART-01)"
    assert default and all(f["severity"] != "info" for f in default)
    assert errors and {f["severity"] for f in errors} == {"error"}
    for listed in (default, everything):
        ranks = [_RANK[f["severity"]] for f in listed]
        assert ranks == sorted(ranks)
    assert len(everything) == len(default) + sum(f["severity"] == "info" for f in everything)

    page = client.get("/findings", params={"year": YEAR}).text
    assert 'id="severity-note"' in page and "全部（含提示）" in page
    rows = re.findall(r'<span class="sev sev-(\w+)">', page.split('id="findings"')[1])
    assert rows and "info" not in rows and rows == sorted(rows, key=_RANK.__getitem__)
    shown_all = client.get("/findings", params={"year": YEAR, "severity": "info"}).text
    assert 'class="sev sev-info"' in shown_all
    # The export follows the page's filter: info only on request.
    exported = client.get("/exports/findings.csv", params={"year": YEAR}).content.decode("utf-8-sig")
    assert "提示" not in [r[5] for r in csv.reader(io.StringIO(exported))][1:]


def test_times_china_minute_for_people_iso_offset_for_programs(client: TestClient) -> None:
    rows = list(
        csv.reader(io.StringIO(client.get("/exports/findings.csv", params={"year": YEAR}).text.lstrip("\ufeff")))
    )
    header, first = rows[0], rows[1]
    for column in ("首次发现", "最近发现"):
        assert _MINUTE.match(first[header.index(column)]), first[header.index(column)]
    matrix = list(
        csv.reader(io.StringIO(client.get("/exports/matrix.csv", params={"year": YEAR}).text.lstrip("\ufeff")))
    )
    checked = [r[matrix[0].index("检查时间")] for r in matrix[1:]]
    assert checked and all(_MINUTE.match(t) for t in checked)
    finding = client.get("/api/v1/findings", params={"year": YEAR}).json()[0]
    assert finding["first_seen_at"].endswith("+08:00") and finding["last_seen_at"].endswith("+08:00")
    api_rows = client.get("/api/v1/matrix", params={"year": YEAR}).json()["rows"]
    assert all(r["checked_at"] is None or r["checked_at"].endswith("+08:00") for r in api_rows)


def test_failed_ops_action_is_red_with_a_reason_to_act_on(settings: Settings, store: Store, farm: Farm) -> None:
    # The Temporal backend with nothing listening at its address.
    address = f"127.0.0.1:{free_port()}"
    down = settings.model_copy(update={"temporal": settings.temporal.model_copy(update={"address": address})})
    agency = farm.agencies[0].agency_id
    with TestClient(create_app(down, store)) as client:
        _login(client, "ops")
        data = {"csrf_token": client.cookies["dwatch_csrf"], "agency_id": agency, "year": str(YEAR)}
        answer = client.post("/ops/recrawl", data=data, follow_redirects=False)
        assert answer.status_code == 303
        page = client.get(answer.headers["location"]).text
    flash = re.search(r'<div class="flash([^"]*)" role="(\w+)" id="flash">([^<]*)</div>', page)
    assert flash is not None
    classes, role, text = flash.groups()
    assert "failed" in classes and role == "alert"
    assert "重新抓取未能执行" in text and f"无法连接调度服务（Temporal，{address}）" in text and "dwatch up" in text
    assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", text.replace("dwatch up", "").replace("dwatch worker", ""))


def test_dossier_shows_an_original_label_only_when_it_differs() -> None:
    headers_run_in = LabelMatch(
        template="规章",
        found="第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章",
        quality=MatchQuality.EXACT,
    )
    assert original_label(headers_run_in) is None
    misspelt = LabelMatch(
        template="2.其他法律行政法规禁止公开", found="2.其他法律行政止公开", quality=MatchQuality.FUZZY
    )
    assert original_label(misspelt) == "2.其他法律行政止公开"
    variant_with_headers = LabelMatch(
        template="（一）予以公开", found="三、本年度办理结果（一）予以全部公开", quality=MatchQuality.VARIANT
    )
    shown = original_label(variant_with_headers)
    assert shown is not None and shown.endswith("（一）予以全部公开") and len(shown) <= len("（一）予以公开") + 7


def test_dossier_page_has_no_concatenated_header_labels(client: TestClient, farm: Farm) -> None:
    page = client.get(f"/agencies/{agency_with(farm, Scenario.DEFECTIVE)}/{YEAR}").text
    originals = re.findall(r"原文：([^<]*)</div>", page)
    assert all("信息内容" not in o and "本年度办理结果" not in o for o in originals), originals
