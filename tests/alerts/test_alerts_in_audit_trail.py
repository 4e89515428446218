"""Every alert is in the audit trail of the agency-years it is about, finding or no finding: the
escalation of a missing report, the digest that lists an unreachable one, a resolved notice."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from alerts.receivers import Web, agency
from alerts.support import YEAR, city_and_province, finding, record_review
from dwatch.reports.compliance import ComplianceStatus

from dwatch.alerts.service import alert_on_review, escalate_missing, send_digest
from dwatch.config import Settings
from dwatch.store.audit import AuditNotification, audit
from dwatch.store.database import Store
from dwatch.store.registry.models import AgencyRow

C = ComplianceStatus
SWEEP = f"sweep/{YEAR}/all/20240215T000000000000"


@pytest.fixture
def city(make_store: Any, web: Web) -> Store:
    return make_store(
        city_and_province(web.port),
        [agency(a, "city", deadline="01-31") for a in ("a1", "a2", "a3")],
    )


def _told(store: Store, agency_id: str) -> list[AuditNotification]:
    with store.session() as session:
        record = audit(session, agency_id, YEAR)
    assert record is not None
    return record.notifications


def test_escalations_digests_and_resolved_notices_are_in_the_audit_trail(
    city: Store, settings: Settings, web: Web
) -> None:
    record_review(city, "a1", C.MISSING)
    record_review(city, "a2", C.UNREACHABLE)
    a3 = AgencyRow.model_validate(agency("a3", "city", deadline="01-31"))
    for status, findings in ((C.DEFECTIVE, [finding("a3")]), (C.COMPLIANT, [])):
        alert_on_review(city, settings, a3, record_review(city, "a3", status, findings), key_prefix="run-1")
    [escalated] = escalate_missing(
        city, settings, YEAR, today=date(YEAR + 1, 1, 31) + timedelta(days=10), key_prefix="e"
    )
    [digest] = send_digest(city, settings, YEAR, sweep_id=SWEEP, today=date(YEAR + 1, 2, 15))
    assert (escalated.status, digest.status) == ("sent", "sent")
    assert len(web.requests) == 4

    missing = _told(city, "a1")
    assert [n.id for n in missing] == [escalated.notification_id, digest.notification_id]
    assert missing[0].subject == "【督办】机关a1 2023 年度报告逾期 10 天仍未发布"
    assert missing[1].subject.startswith(f"市政务公开办：{YEAR} 年度报告检查汇总")
    assert [(n.recipient, n.status, n.fingerprints) for n in missing] == [
        ("省政务公开办", "sent", []),
        ("市政务公开办", "sent", []),
    ]
    assert all([a.ok for a in n.attempt_log] == [True] for n in missing)
    assert [n.id for n in _told(city, "a2")] == [digest.notification_id]
    resolved = _told(city, "a3")
    assert [n.subject for n in resolved][:2] == ["【存在错误】机关a3 2023 年度报告", "【已整改】机关a3 2023 年度报告"]
    assert [n.id for n in resolved][2:] == [digest.notification_id]
    assert [bool(n.fingerprints) for n in resolved] == [True, False, False]
