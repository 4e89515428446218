"""Compliance status per agency-year: transitions and their history."""

from __future__ import annotations

from datetime import UTC, datetime

from dwatch.reports.compliance import ComplianceStatus

from dwatch.store.database import Store
from dwatch.store.status import record_status, status_history, statuses


def test_first_status_then_changes_are_transitions_and_history(registered: Store) -> None:
    agency = "hh-jiaojing"
    with registered.session() as session:
        first = record_status(session, agency, 2023, ComplianceStatus.MISSING, "未发布")
        same = record_status(session, agency, 2023, ComplianceStatus.MISSING, "仍未发布")
        fixed = record_status(session, agency, 2023, ComplianceStatus.DEFECTIVE, "T3-02")
        cleared = record_status(
            session, agency, 2023, ComplianceStatus.COMPLIANT, "", at=datetime(2024, 3, 1, tzinfo=UTC)
        )
    assert (first.previous, first.changed) == (None, True)
    assert not same.changed
    assert (fixed.previous, fixed.current) == (ComplianceStatus.MISSING, ComplianceStatus.DEFECTIVE)
    assert cleared.previous is ComplianceStatus.DEFECTIVE and cleared.changed
    with registered.session() as session:
        [current] = statuses(session, 2023, [agency])
        events = status_history(session, agency, 2023)
    assert current.status == "compliant"
    assert current.changed_at == datetime(2024, 3, 1, tzinfo=UTC)
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "missing"),
        ("missing", "defective"),
        ("defective", "compliant"),
    ]


def test_a_repeated_status_is_no_change(registered: Store) -> None:
    with registered.session() as session:
        record_status(session, "hh-gov", 2023, ComplianceStatus.MISSING)
        first = record_status(session, "hh-gov", 2023, ComplianceStatus.DEFECTIVE)
        repeat = record_status(session, "hh-gov", 2023, ComplianceStatus.DEFECTIVE)
        events = status_history(session, "hh-gov", 2023)
    assert (first.previous, first.current) == (ComplianceStatus.MISSING, ComplianceStatus.DEFECTIVE)
    assert first.changed and not repeat.changed
    assert len(events) == 2


def test_statuses_are_per_year(registered: Store) -> None:
    with registered.session() as session:
        record_status(session, "hh-gov", 2023, ComplianceStatus.LATE)
        record_status(session, "hh-gov", 2024, ComplianceStatus.COMPLIANT)
        assert [s.status for s in statuses(session, 2023)] == ["late"]
        assert [s.status for s in statuses(session, 2024)] == ["compliant"]
