"""The dossier (page and API) of a report never found lists its workflow runs, the notifications about
it with their delivery attempts and its status changes, as the CLI's audit does."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from audit_support import REFUSED, digest, escalation, report_run, sweep_id, sweep_run
from dwatch.crawlers.models import Outcome
from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario
from fastapi.testclient import TestClient
from web_support import YEAR, agency_with

from dwatch.store.database import Store

SUPERVISOR = "test-gwb"
CASES = [(Scenario.MISSING, Outcome.MISSING), (Scenario.DOWN, Outcome.UNREACHABLE)]


@dataclass
class Trail:
    agency_id: str
    status: str
    sweep: int
    report: int
    notification: int
    subject: str


@pytest.fixture(params=CASES, ids=[outcome.value for _, outcome in CASES])
def trail(request: pytest.FixtureRequest, store: Store, farm: Farm) -> Trail:
    """The sweep's run, the agency's report run (its sweep pass and the look after polling), and the
    escalation (missing) or the digest (unreachable) about it, delivered at the second attempt."""
    scenario, outcome = request.param
    agency_id = agency_with(farm, scenario)
    sweep = sweep_run(store, YEAR, [agency_id])
    report = report_run(store, agency_id, YEAR, "run-1", outcome, passes=2)
    if outcome is Outcome.MISSING:
        notification = escalation(store, agency_id, YEAR, SUPERVISOR)
        subject = f"【督办】{agency_id} {YEAR} 年度报告逾期 14 天仍未发布"
    else:
        notification = digest(store, [agency_id], YEAR, SUPERVISOR)
        subject = f"{YEAR} 年度报告检查汇总"
    return Trail(agency_id, outcome.value, sweep, report, notification, subject)


def test_api_dossier_lists_runs_notifications_and_status_changes(client: TestClient, trail: Trail) -> None:
    body = client.get(f"/api/v1/agencies/{trail.agency_id}/years/{YEAR}").json()
    record = body["record"]
    assert body["status"]["status"] == trail.status
    assert record["documents"] == [] and record["findings"] == []
    assert [(r["id"], r["kind"], r["workflow_id"]) for r in record["workflow_runs"]] == [
        (trail.sweep, "sweep", sweep_id(YEAR)),
        (trail.report, "report", f"report/{trail.agency_id}/{YEAR}"),
    ]
    assert [(e["to_status"], e["workflow_run_id"]) for e in record["status_history"]] == [(trail.status, trail.report)]
    [notification] = record["notifications"]
    assert (notification["id"], notification["subject"], notification["status"]) == (
        trail.notification,
        trail.subject,
        "sent",
    )
    assert [(a["ok"], a["error"]) for a in notification["attempt_log"]] == [(False, REFUSED), (True, None)]


def test_dossier_page_lists_runs_notifications_and_status_changes(client: TestClient, trail: Trail) -> None:
    page = client.get(f"/agencies/{trail.agency_id}/{YEAR}")
    assert page.status_code == 200
    text = page.text
    for expected in (
        sweep_id(YEAR),
        f"report/{trail.agency_id}/{YEAR}",
        trail.subject,
        f"失败：{REFUSED}",
        "mailto://****@mail.hunan.gov.cn/****",
    ):
        assert expected in text
    for empty in ("暂无工作流记录", "未发送通知"):
        assert empty not in text
    history = text.split("<h2>状态变化</h2>", 1)[1].split("</section>", 1)[0]
    assert "暂无记录" not in history and "/run-1/history" in history  # the change links its run
