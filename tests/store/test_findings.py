from __future__ import annotations

import pytest
from factories import AGENCY, YEAR, finding, run
from pydantic import ValidationError

from dwatch.store.database import Store
from dwatch.store.findings import FindingQuery, StatusChange, change_status, history, query_findings, record_check_run
from dwatch.store.tables import Finding, FindingStatus


def _by_rule(store: Store) -> dict[str, Finding]:
    with store.session() as session:
        return {f.rule_id: f for f in query_findings(session, FindingQuery(agency_id=AGENCY, report_year=YEAR))}


def _transitions(store: Store, finding_id: int) -> list[tuple[str | None, str, str]]:
    with store.session() as session:
        return [(e.from_status, e.to_status, e.actor) for e in history(session, finding_id)]


def test_lifecycle_open_seen_again_resolved_reopened(registered: Store) -> None:
    acc, miss = finding("ACC-01"), finding("MISS-01", row="R02")
    with registered.session() as session:
        first = record_check_run(session, run(0), [acc, miss])
    assert first.opened == sorted([acc.fingerprint, miss.fingerprint])

    with registered.session() as session:
        second = record_check_run(session, run(24), [acc, miss.model_copy(update={"message_zh": "新的说明"})])
    assert (second.opened, second.seen_again) == ([], sorted([acc.fingerprint, miss.fingerprint]))
    rows = _by_rule(registered)
    assert len(rows) == 2
    assert rows["MISS-01"].times_seen == 2
    assert rows["MISS-01"].message_zh == "新的说明"
    assert rows["MISS-01"].first_seen_at == run(0).checked_at
    assert rows["MISS-01"].last_seen_at == run(24).checked_at
    assert rows["MISS-01"].last_check_run_id == second.check_run_id

    with registered.session() as session:
        third = record_check_run(session, run(48), [acc])  # MISS-01 was fixed
    assert third.resolved == [miss.fingerprint]
    rows = _by_rule(registered)
    assert rows["MISS-01"].status == FindingStatus.RESOLVED
    assert rows["MISS-01"].status_check_run_id == third.check_run_id
    assert rows["ACC-01"].status == FindingStatus.OPEN

    with registered.session() as session:
        fourth = record_check_run(session, run(72), [acc, miss])  # and it came back
    assert fourth.reopened == [miss.fingerprint]
    assert _by_rule(registered)["MISS-01"].status == FindingStatus.OPEN
    assert _transitions(registered, rows["MISS-01"].id) == [
        (None, "open", "dwatch"),
        ("open", "resolved", "dwatch"),
        ("resolved", "open", "dwatch"),
    ]


def test_waived_and_acknowledged_stay_as_people_set_them(registered: Store) -> None:
    acc, miss = finding("ACC-01"), finding("MISS-01", row="R02")
    with registered.session() as session:
        record_check_run(session, run(0), [acc, miss])
    ids = {rule: f.id for rule, f in _by_rule(registered).items()}
    with registered.session() as session:
        change_status(
            session, ids["ACC-01"], StatusChange(status=FindingStatus.WAIVED, actor="张三", reason="已备案说明")
        )
        change_status(session, ids["MISS-01"], StatusChange(status=FindingStatus.ACKNOWLEDGED, actor="李四"))

    with registered.session() as session:
        record_check_run(session, run(24), [acc])  # still reported: stays waived
        record_check_run(session, run(48), [])  # neither reported: neither is auto-resolved
    rows = _by_rule(registered)
    assert (rows["ACC-01"].status, rows["ACC-01"].status_by, rows["ACC-01"].status_reason) == (
        "waived",
        "张三",
        "已备案说明",
    )
    assert rows["ACC-01"].times_seen == 2
    assert rows["MISS-01"].status == "acknowledged"
    assert _transitions(registered, ids["ACC-01"]) == [(None, "open", "dwatch"), ("open", "waived", "张三")]


def test_a_waiver_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="理由"):
        StatusChange(status=FindingStatus.WAIVED, actor="张三")


def test_an_older_run_cannot_resolve_what_a_newer_run_found(registered: Store) -> None:
    acc = finding("ACC-01")
    with registered.session() as session:
        record_check_run(session, run(10), [acc])
        late = record_check_run(session, run(5), [])  # committed later, but checked earlier
    assert late.resolved == []
    assert _by_rule(registered)["ACC-01"].status == "open"


def test_a_rule_reporting_twice_is_one_finding(registered: Store) -> None:
    acc = finding("ACC-01")
    with registered.session() as session:
        result = record_check_run(session, run(0), [acc, acc])
    assert result.opened == [acc.fingerprint]
    assert _by_rule(registered)["ACC-01"].times_seen == 1


def test_query_filters(registered: Store) -> None:
    with registered.session() as session:
        record_check_run(session, run(0), [finding("ACC-01"), finding("MISS-01", row="R02")])
        record_check_run(session, run(1, agency_id="hh-gov", report_year=2022), [finding("FMT-01")])
        record_check_run(session, run(2), [finding("ACC-01")])
        resolved = query_findings(session, FindingQuery(status=FindingStatus.RESOLVED))
        assert [f.rule_id for f in resolved] == ["MISS-01"]
        assert [f.rule_id for f in query_findings(session, FindingQuery(agency_id="hh-gov"))] == ["FMT-01"]
        assert [f.rule_id for f in query_findings(session, FindingQuery(report_year=YEAR))] == ["ACC-01", "MISS-01"]
