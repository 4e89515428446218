from __future__ import annotations

import pytest
from factories import fetched, finding, run
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from dwatch.store.database import Store
from dwatch.store.documents import record_fetch
from dwatch.store.findings import record_check_run
from dwatch.store.notifications import NotificationRequest, attempts, create_notification, record_attempt
from dwatch.store.runs import finish_run, start_run
from dwatch.store.tables import CheckRun, Document, Finding, Notification, RunStatus
from dwatch.store.types import utcnow

TARGET = "mailto://hh:another-secret@mail.huaihua.gov.cn"


def _request(key: str = "wf-1/digest/hh-gwb", finding_ids: list[int] | None = None) -> NotificationRequest:
    return NotificationRequest(
        idempotency_key=key,
        recipient="怀化市人民政府办公室政务公开办",
        target_url=TARGET,
        subject="年度报告检查发现 1 个问题",
        body="怀化市公安局交警支队 2023 年度报告：数据不一致",
        supervisor_id="hh-gwb",
        finding_ids=finding_ids or [],
    )


def test_idempotency_key_makes_a_retry_a_no_op(registered: Store) -> None:
    with registered.session() as session:
        record_check_run(session, run(0), [finding("ACC-01")])
        finding_id = session.scalars(select(Finding.id)).one()
        first, created = create_notification(session, _request(finding_ids=[finding_id]))
        again, created_again = create_notification(session, _request(finding_ids=[finding_id]))
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert first.target_masked == "mailto://****@mail.huaihua.gov.cn"
    assert first.channel == "mailto"
    with registered.session() as session:
        assert len(session.scalars(select(Notification)).all()) == 1


def test_idempotency_key_is_unique_in_the_database(registered: Store) -> None:
    now = utcnow()
    row = {
        "idempotency_key": "k",
        "recipient": "r",
        "channel": "mailto",
        "target_masked": "mailto://****",
        "subject": "s",
        "body": "b",
        "status": "pending",
        "attempts": 0,
        "created_at": now,
    }
    with registered.session() as session:
        session.execute(insert(Notification).values(row))
    with pytest.raises(IntegrityError), registered.session() as session:
        session.execute(insert(Notification).values(row))


def test_delivery_attempts_are_counted_and_redacted(registered: Store) -> None:
    with registered.session() as session:
        notification, _ = create_notification(session, _request())
        record_attempt(session, notification.id, ok=False, error=f"SMTP refused for {TARGET}: 535 auth failed")
        record_attempt(session, notification.id, ok=True)
    with registered.session() as session:
        stored = session.get_one(Notification, notification.id)
        assert (stored.status, stored.attempts, stored.last_error) == ("sent", 2, None)
        assert stored.sent_at is not None
        log = attempts(session, notification.id)
        assert [a.ok for a in log] == [False, True]
        assert log[0].error == "SMTP refused for mailto://****@mail.huaihua.gov.cn: 535 auth failed"


def test_workflow_runs_link_the_records_they_produced(registered: Store) -> None:
    with registered.session() as session:
        workflow = start_run(session, "annual-check-hh-2023", "run-1", "check")
        assert start_run(session, "annual-check-hh-2023", "run-1", "check").id == workflow.id  # retried activity
        document = record_fetch(
            session, registered.blobs, fetched().model_copy(update={"workflow_run_id": workflow.id}), b"<html/>"
        )
        result = record_check_run(session, run(0, workflow_run_id=workflow.id, document_id=document.id), [])
        finish_run(session, workflow.id, RunStatus.COMPLETED)
    with registered.session() as session:
        assert session.get_one(Document, document.id).workflow_run_id == workflow.id
        assert session.get_one(CheckRun, result.check_run_id).workflow_run_id == workflow.id
        stored = start_run(session, "annual-check-hh-2023", "run-1", "check")
        assert (stored.status, stored.finished_at is not None) == ("completed", True)
