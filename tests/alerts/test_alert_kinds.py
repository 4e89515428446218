"""Immediate alerts and resolved notices on status changes; escalation of missing reports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from alerts.receivers import Web, agency
from alerts.support import YEAR, city_and_province, finding, record_review
from dwatch.reports.compliance import ComplianceStatus

from dwatch.alerts.service import alert_on_review, escalate_missing
from dwatch.config import Settings
from dwatch.store.registry.models import AgencyRow

C = ComplianceStatus


@pytest.fixture
def city(make_store: Any, web: Web) -> Any:
    return make_store(
        city_and_province(web.port),
        [agency("a1", "city", deadline="01-31"), agency("a2", "city")],
    )


def test_alerts_follow_status_changes_only(city: Any, settings: Settings, web: Web) -> None:
    row = AgencyRow.model_validate(agency("a1", "city", deadline="01-31"))
    steps = [
        (C.COMPLIANT, [], None),
        (C.DEFECTIVE, [finding("a1")], "【存在错误】机关a1 2023 年度报告"),
        (C.DEFECTIVE, [finding("a1")], None),  # no change: nothing
        (C.LATE, [finding("a1", "TIME-01")], "【逾期发布】机关a1 2023 年度报告"),
        (C.COMPLIANT, [], "【已整改】机关a1 2023 年度报告"),
        (C.COMPLIANT, [], None),
    ]
    for status, findings, expected in steps:
        before = len(web.requests)
        deliveries = alert_on_review(
            city, settings, row, record_review(city, "a1", status, findings), key_prefix="sweep-1"
        )
        titles = [r.json()["title"] for r in web.requests[before:]]
        assert titles == ([expected] if expected else []), status
        assert [d.status for d in deliveries] == (["sent"] if expected else [])
    late = web.requests[1].json()["message"]
    assert "TIME-01" in late and "https[:]//dwatch.example.gov.cn/agencies/a1/2023" not in late
    assert "https://dwatch.example.gov.cn/agencies/a1/2023" in late


def test_missing_reports_are_escalated_to_the_parent_after_n_days(city: Any, settings: Settings, web: Web) -> None:
    record_review(city, "a1", C.MISSING)  # local deadline 2024-01-31
    record_review(city, "a2", C.COMPLIANT)
    deadline = date(YEAR + 1, 1, 31)

    assert escalate_missing(city, settings, YEAR, today=deadline + timedelta(days=9), key_prefix="esc") == []
    first = escalate_missing(city, settings, YEAR, today=deadline + timedelta(days=10), key_prefix="esc")
    again = escalate_missing(city, settings, YEAR, today=deadline + timedelta(days=15), key_prefix="esc")
    later = escalate_missing(city, settings, YEAR, today=deadline + timedelta(days=20), key_prefix="esc")

    assert [(d.supervisor, d.status) for d in first] == [("prov", "sent")]
    assert [d.status for d in again] == ["duplicate"]  # same 10-day period
    assert [d.status for d in later] == ["sent"]  # the next period: escalated again
    assert web.at("/city") == []
    titles = [r.json()["title"] for r in web.at("/prov")]
    assert titles == [
        "【督办】机关a1 2023 年度报告逾期 10 天仍未发布",
        "【督办】机关a1 2023 年度报告逾期 20 天仍未发布",
    ]


def test_statutory_deadline_applies_without_a_local_one(city: Any, settings: Settings, web: Web) -> None:
    record_review(city, "a2", C.MISSING)  # a department: 条例第四十九条, 1 月 31 日
    [delivery] = escalate_missing(city, settings, YEAR, today=date(YEAR + 1, 2, 10), key_prefix="esc")
    assert delivery.status == "sent" and "截止日期为 2024-01-31" in web.at("/prov")[0].json()["message"]
