"""The JSON API on a store filled by a real sweep over the site farm: data, actions, refusals."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.reports.compliance import latest_due_year
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from temporal_support import run_async
from web_support import PASSWORD, YEAR, agency_with, bearer, web_settings

from dwatch.config import Settings
from dwatch.ops import OpsInputError, OpsInputKind, OpsResult, first_year
from dwatch.store.database import Store
from dwatch.store.users import disable_user
from dwatch.temporal.devserver import free_port
from dwatch.web.app import create_app
from dwatch.web.backends import LocalOps


def _defective_finding(client: TestClient, farm: Farm) -> dict:
    agency = agency_with(farm, Scenario.DEFECTIVE)
    rows = client.get("/api/v1/findings", params={"year": YEAR, "agency": agency, "rule": "T3-03"}).json()
    assert rows, "the defective farm agency has a T3-03 finding"
    return rows[0]


# ---- reading ------------------------------------------------------------------------------------


def test_matrix_counts_every_status_of_the_sweep(client: TestClient) -> None:
    body = client.get("/api/v1/matrix", params={"year": YEAR}).json()
    assert body["total"] == 8
    assert body["counts"] | {} == {
        "missing": 1,
        "late": 1,
        "defective": 2,
        "unreachable": 1,
        "unparseable": 0,
        "needs_review": 0,
        "unchecked": 0,
        "compliant": 3,
    }
    assert [r["status"] for r in body["rows"]][:2] == ["missing", "late"]  # problems first
    late = next(r for r in body["rows"] if r["status"] == "late")
    assert late["days_late"] > 0 and "TIME-01" in late["rules"]


def test_matrix_filters(client: TestClient, farm: Farm) -> None:
    defective = client.get("/api/v1/matrix", params={"year": YEAR, "status": "defective"}).json()
    assert {r["status"] for r in defective["rows"]} == {"defective"}
    assert defective["counts"]["compliant"] == 3  # counts ignore the status filter
    by_rule = client.get("/api/v1/matrix", params={"year": YEAR, "rule": "T3-03"}).json()
    assert {r["agency_id"] for r in by_rule["rows"]} == {
        a.agency_id for a in farm.agencies if a.scenario is Scenario.DEFECTIVE
    }
    assert client.get("/api/v1/matrix", params={"year": YEAR, "supervisor": "test-gwb"}).json()["total"] == 8
    assert client.get("/api/v1/matrix", params={"year": YEAR, "supervisor": "nobody"}).json()["total"] == 0
    region = farm.agencies[0].region
    assert [
        r["region"] for r in client.get("/api/v1/matrix", params={"year": YEAR, "region": region}).json()["rows"]
    ] == [region]


@pytest.mark.parametrize(
    "params",
    [{"year": "abc"}, {"year": "1999"}, {"year": YEAR, "status": "great"}, {"year": YEAR, "region": "east"}],
)
def test_matrix_rejects_malformed_filters(client: TestClient, params: dict) -> None:
    assert client.get("/api/v1/matrix", params=params).status_code == 422


def test_years_and_supervisors(client: TestClient) -> None:
    assert client.get("/api/v1/years").json() == [YEAR]
    assert [s["id"] for s in client.get("/api/v1/supervisors").json()] == ["test-gwb"]


def test_dossier_pins_findings_on_cells(client: TestClient, farm: Farm) -> None:
    agency = agency_with(farm, Scenario.DEFECTIVE)
    body = client.get(f"/api/v1/agencies/{agency}/years/{YEAR}").json()
    assert body["status"]["status"] == "defective"
    assert body["record"]["documents"][0]["version"] == 1
    table3 = next(t for t in body["report"]["tables"] if t["table_id"] == "table3")
    pinned = [c for row in table3["rows"] for c in row["cells"] if c and c["findings"]]
    assert {c["column"] for c in pinned} >= {"自然人", "总计"}
    assert body["record"]["status_history"][0]["to_status"] == "defective"


def test_dossier_unknown_agency_and_malformed_year(client: TestClient) -> None:
    assert client.get(f"/api/v1/agencies/nobody/years/{YEAR}").status_code == 404
    assert client.get("/api/v1/agencies/x/years/abc").status_code == 422
    assert client.get("/api/v1/agencies/x/years/3000").status_code == 422


def test_finding_by_id(client: TestClient, farm: Farm) -> None:
    finding = _defective_finding(client, farm)
    body = client.get(f"/api/v1/findings/{finding['id']}").json()
    assert body["history"][0]["to_status"] == "open"
    assert client.get("/api/v1/findings/999999").status_code == 404
    assert client.get("/api/v1/findings/abc").status_code == 422


# ---- triage -------------------------------------------------------------------------------------


def test_supervisor_waives_with_reason_recorded(client: TestClient, farm: Farm) -> None:
    finding = _defective_finding(client, farm)
    response = client.post(
        f"/api/v1/findings/{finding['id']}/status",
        json={"status": "waived", "reason": "已电话核实，系排版错误"},
        headers=bearer(client, "sup"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["status_by"], body["status_reason"]) == ("waived", "sup", "已电话核实，系排版错误")
    assert body["history"][-1]["actor"] == "sup"
    # A waived finding no longer makes the agency show up under its rule.
    agency = finding["agency_id"]
    rows = client.get("/api/v1/matrix", params={"year": YEAR, "rule": "T3-03"}).json()["rows"]
    assert agency not in {r["agency_id"] for r in rows}


def test_triage_refusals(client: TestClient, farm: Farm) -> None:
    url = f"/api/v1/findings/{_defective_finding(client, farm)['id']}/status"
    acknowledge = {"status": "acknowledged"}
    assert client.post(url, json=acknowledge).status_code == 401  # no token
    assert client.post(url, json=acknowledge, headers={"Authorization": "Bearer forged.token"}).status_code == 401
    assert client.post(url, json=acknowledge, headers=bearer(client, "ops")).status_code == 403  # wrong role
    assert client.post(url, json=acknowledge, headers=bearer(client, "aud")).status_code == 403
    sup = bearer(client, "sup")
    assert client.post(url, json={"status": "waived"}, headers=sup).status_code == 422  # no reason
    assert client.post(url, json={"status": "resolved"}, headers=sup).status_code == 422  # the checks' word
    assert client.post("/api/v1/findings/999999/status", json=acknowledge, headers=sup).status_code == 404
    assert client.post(url, json=acknowledge, headers=sup).json()["status"] == "acknowledged"


def test_tokens(client: TestClient, store: Store) -> None:
    assert client.post("/api/v1/auth/token", json={"username": "sup", "password": "wrong"}).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "nobody", "password": PASSWORD}).status_code == 401
    headers = bearer(client, "sup")
    assert client.get("/api/v1/auth/me", headers=headers).json()["roles"] == ["supervisor"]
    assert client.get("/api/v1/auth/me").status_code == 401
    with store.session() as session:
        disable_user(session, "sup")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401  # voided at once


# ---- ops ----------------------------------------------------------------------------------------


def test_ops_recrawl_and_recheck_record_new_results(client: TestClient, farm: Farm) -> None:
    agency = agency_with(farm, Scenario.REPLACED)
    ops = bearer(client, "ops")
    farm.app.replace(agency)  # the agency silently replaces its report
    response = client.post("/api/v1/ops/recrawl", json={"agency_id": agency, "year": YEAR}, headers=ops)
    assert response.status_code == 200, response.text
    assert response.json()["workflow_id"].startswith("local-recrawl-")
    documents = client.get(f"/api/v1/agencies/{agency}/years/{YEAR}").json()["record"]["documents"]
    assert [d["version"] for d in documents] == [1, 2]
    recheck = client.post("/api/v1/ops/recheck", json={"agency_id": agency, "year": YEAR}, headers=ops)
    assert recheck.status_code == 200
    assert len(client.get(f"/api/v1/agencies/{agency}/years/{YEAR}").json()["record"]["check_runs"]) == 3


def test_ops_refusals(client: TestClient, farm: Farm) -> None:
    body = {"agency_id": farm.agencies[0].agency_id, "year": YEAR}
    assert client.post("/api/v1/ops/recrawl", json=body).status_code == 401
    assert client.post("/api/v1/ops/recrawl", json=body, headers=bearer(client, "sup")).status_code == 403
    ops = bearer(client, "ops")
    assert client.post("/api/v1/ops/recheck", json=body | {"agency_id": "nobody"}, headers=ops).status_code == 404
    assert client.post("/api/v1/ops/recrawl", json=body | {"year": "abc"}, headers=ops).status_code == 422
    assert client.post("/api/v1/ops/sweeps", json={"year": YEAR}, headers=bearer(client, "aud")).status_code == 403


def test_ops_refuse_unknown_agencies_and_years_out_of_range(client: TestClient, farm: Farm) -> None:
    agency, ops = farm.agencies[0].agency_id, bearer(client, "ops")

    def refused(path: str, body: dict, status: int) -> str:
        response = client.post(f"/api/v1/ops/{path}", json=body, headers=ops)
        assert response.status_code == status, response.text
        return response.json()["detail"]

    assert refused("recrawl", {"agency_id": "nosuch", "year": YEAR}, 404) == "机关“nosuch”未登记"
    assert "尚未到期" in refused("recheck", {"agency_id": agency, "year": latest_due_year() + 1}, 422)
    assert f"{first_year()}—{latest_due_year()}" in refused(
        "recrawl", {"agency_id": agency, "year": first_year() - 1}, 422
    )
    assert refused("sweeps", {"year": YEAR, "agency_ids": [agency, "nosuch"]}, 404) == "机关“nosuch”未登记"
    assert "尚未到期" in refused("sweeps", {"year": latest_due_year() + 1}, 422)


def test_waiving_an_unknown_fingerprint_is_refused(settings: Settings, store: Store, farm: Farm) -> None:
    local = LocalOps(settings, store)
    with pytest.raises(OpsInputError) as refused:
        run_async(local.waive(farm.agencies[0].agency_id, YEAR, "f" * 16, "核实", "审核员"))
    assert refused.value.kind is OpsInputKind.NOT_FOUND and "没有指纹为" in refused.value.message


def test_refused_input_is_told_before_temporal_is_asked(settings: Settings, store: Store) -> None:
    # The Temporal backend with nothing listening: an unknown agency is a 404 all the same, not a 503.
    down = settings.model_copy(
        update={"temporal": settings.temporal.model_copy(update={"address": f"127.0.0.1:{free_port()}"})}
    )
    with TestClient(create_app(down, store)) as client:
        body = {"agency_id": "nosuch", "year": YEAR}
        response = client.post("/api/v1/ops/recrawl", json=body, headers=bearer(client, "ops"))
    assert (response.status_code, response.json()["detail"]) == (404, "机关“nosuch”未登记")


class _RecordingOps:
    def __init__(self) -> None:
        self.sweeps: list[tuple[int, list[str] | None]] = []
        self.waivers: list[tuple[str, int, str, str, str]] = []

    async def recrawl(self, agency_id: str, year: int, actor: str) -> OpsResult:
        return OpsResult(workflow_id=f"report-{agency_id}-{year}", run_id=actor, status="compliant")

    recheck = recrawl

    async def waive(self, agency_id: str, year: int, fingerprint: str, reason: str, actor: str) -> OpsResult:
        self.waivers.append((agency_id, year, fingerprint, reason, actor))
        return OpsResult(workflow_id=f"report-{agency_id}-{year}", status="waived")

    async def start_sweep(self, year: int, agency_ids: list[str] | None = None) -> str:
        self.sweeps.append((year, agency_ids))
        return f"sweep-{year}"


def test_sweep_and_waiver_go_through_the_ops_interface(settings: Settings, store: Store, farm: Farm) -> None:
    ops = _RecordingOps()
    with TestClient(create_app(settings, store, ops)) as client:
        response = client.post("/api/v1/ops/sweeps", json={"year": YEAR}, headers=bearer(client, "ops"))
        finding = _defective_finding(client, farm)
        waiver = {"status": "waived", "reason": "排版错误，已核实"}
        client.post(f"/api/v1/findings/{finding['id']}/status", json=waiver, headers=bearer(client, "sup"))
    assert (response.status_code, response.json()) == (202, {"sweep_id": f"sweep-{YEAR}"})
    assert ops.sweeps == [(YEAR, None)]
    # The waiver is the workflow's to record (it stops alerting on it), not a direct store write.
    assert ops.waivers == [(finding["agency_id"], YEAR, finding["fingerprint"], "排版错误，已核实", "sup")]


def test_temporal_down_is_a_503(settings: Settings, store: Store, farm: Farm) -> None:
    # The Temporal backend, with nothing listening: the action fails cleanly with the reason, never a 500.
    down = settings.model_copy(
        update={"temporal": settings.temporal.model_copy(update={"address": f"127.0.0.1:{free_port()}"})}
    )
    with TestClient(create_app(down, store)) as client:
        body = {"agency_id": farm.agencies[0].agency_id, "year": YEAR}
        response = client.post("/api/v1/ops/recrawl", json=body, headers=bearer(client, "ops"))
    assert response.status_code == 503
    assert "Temporal" in response.json()["detail"]


# ---- exports ------------------------------------------------------------------------------------


def test_exports_csv_and_xlsx(client: TestClient, settings: Settings) -> None:
    matrix_csv = client.get("/api/v1/exports/matrix.csv", params={"year": YEAR})
    assert matrix_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(matrix_csv.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["机关编号", "机关名称", "区划代码", "监督机构", "状态"]
    assert len(rows) == 9 and {"存在错误", "逾期发布", "未发布"} <= {r[4] for r in rows}
    assert rows[0][-1] == "详情链接"
    for row in rows[1:]:  # each row links to its dossier at the public URL
        assert row[-1] == f"{settings.public_url}/agencies/{row[0]}/{YEAR}"
        assert client.get(row[-1].removeprefix(settings.public_url)).status_code == 200
    sheet = load_workbook(io.BytesIO(client.get("/exports/findings.xlsx", params={"year": YEAR}).content)).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:5] == ["问题编号", "机关编号", "机关名称", "年度", "规则"]
    assert header[-1] == "详情链接"
    assert sheet.max_row > 1
    assert sheet.cell(row=2, column=len(header)).value.startswith(f"{settings.public_url}/agencies/")
    assert client.get("/exports/matrix.pdf").status_code in (400, 422)


def test_exports_defuse_formulas(client: TestClient, farm: Farm) -> None:
    finding = _defective_finding(client, farm)
    client.post(
        f"/api/v1/findings/{finding['id']}/status",
        json={"status": "waived", "reason": '=HYPERLINK("http://evil.example","x")'},
        headers=bearer(client, "sup"),
    )
    text = client.get("/exports/findings.csv", params={"year": YEAR, "status": "waived"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    book = load_workbook(io.BytesIO(client.get("/exports/findings.xlsx", params={"status": "waived"}).content))
    cell = book.active.cell(row=2, column=15)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


# ---- protected reading, OpenAPI -----------------------------------------------------------------


def test_protected_reading(data_dir: Path, store: Store) -> None:
    with TestClient(create_app(web_settings(data_dir, public_read=False), store)) as client:
        assert client.get("/api/v1/matrix").status_code == 401
        assert client.get("/api/v1/exports/matrix.csv").status_code == 401
        assert client.get("/api/v1/matrix", headers=bearer(client, "aud")).status_code == 200
        page = client.get("/matrix", follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/login?next=/matrix")


def test_ops_results_are_the_one_model(client: TestClient) -> None:
    # What the CLI prints and the dashboard flashes: `dwatch.ops.OpsResult`, whatever the backend.
    api = client.get("/api/openapi.json").json()
    for path in ("/api/v1/ops/recrawl", "/api/v1/ops/recheck"):
        schema = api["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/OpsResult"}
    assert api["components"]["schemas"]["OpsResult"]["properties"].keys() == OpsResult.model_fields.keys()


def test_openapi_lists_every_endpoint(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {
        "/api/v1/auth/token",
        "/api/v1/auth/me",
        "/api/v1/years",
        "/api/v1/supervisors",
        "/api/v1/matrix",
        "/api/v1/findings",
        "/api/v1/findings/{finding_id}",
        "/api/v1/findings/{finding_id}/status",
        "/api/v1/agencies/{agency_id}/years/{year}",
        "/api/v1/ops/recrawl",
        "/api/v1/ops/recheck",
        "/api/v1/ops/sweeps",
        "/api/v1/exports/matrix.{fmt}",
        "/api/v1/exports/findings.{fmt}",
    } <= set(paths)
