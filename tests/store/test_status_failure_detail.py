"""The technical detail of a crawl failure kept on the agency-year's status, for ops (issue 20)."""

from __future__ import annotations

from dwatch.reports.compliance import ComplianceStatus

from dwatch.store.database import Store
from dwatch.store.status import record_status, statuses

_REFUSED = "ConnectError: [Errno 111] Connection refused (GET https://hh-gov.example/nb/)"


def _stored(store: Store) -> tuple[str, str, str | None]:
    with store.session() as session:
        [row] = statuses(session, 2023, ["hh-gov"])
        return row.status, row.detail, row.failure_detail


def test_the_failure_detail_is_stored_beside_the_reason_and_cleared_by_a_status_without_one(registered: Store) -> None:
    with registered.session() as session:
        record_status(session, "hh-gov", 2023, ComplianceStatus.UNREACHABLE, "连接被拒绝", failure_detail=_REFUSED)
    assert _stored(registered) == ("unreachable", "连接被拒绝", _REFUSED)

    with registered.session() as session:  # the same status again, with another cause
        record_status(session, "hh-gov", 2023, ComplianceStatus.UNREACHABLE, "超时", failure_detail="ReadTimeout")
    assert _stored(registered) == ("unreachable", "超时", "ReadTimeout")

    with registered.session() as session:
        record_status(session, "hh-gov", 2023, ComplianceStatus.COMPLIANT)
    assert _stored(registered) == ("compliant", "", None)


def test_an_empty_failure_detail_is_none(registered: Store) -> None:
    with registered.session() as session:
        record_status(session, "hh-gov", 2023, ComplianceStatus.UNREACHABLE, "连接被拒绝", failure_detail="")
    assert _stored(registered) == ("unreachable", "连接被拒绝", None)
