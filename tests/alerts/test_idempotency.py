"""One message per key, however often a sweep's notification step or an activity runs."""

from __future__ import annotations

from typing import Any

from alerts.receivers import Mail, Web, agency, mailto
from alerts.support import YEAR, finding, record_review
from sqlalchemy import select

from dwatch.alerts.delivery import IN_FLIGHT, target_key
from dwatch.alerts.service import alert_on_review, send_digest
from dwatch.config import Settings
from dwatch.store.notifications import NotificationRequest, create_notification, mark_in_flight
from dwatch.store.registry.models import AgencyRow
from dwatch.store.tables import ComplianceStatus, Notification


def _store(make_store: Any, web: Web, smtp: Mail) -> Any:
    notify = [{"url": f"json://127.0.0.1:{web.port}/city"}, {"url": mailto(smtp, "city@example.gov.cn")}]
    return make_store(
        [
            {"id": "city", "name": "市政务公开办", "notify": notify},
            {"id": "county", "name": "县政务公开办", "notify": [{"url": f"json://127.0.0.1:{web.port}/county"}]},
        ],
        [agency("a1", "city"), agency("a2", "county")],
    )


def test_three_runs_of_a_sweep_send_each_digest_once(make_store: Any, settings: Settings, web: Web, smtp: Mail) -> None:
    store = _store(make_store, web, smtp)
    record_review(store, "a1", ComplianceStatus.MISSING)
    record_review(store, "a2", ComplianceStatus.DEFECTIVE, [finding("a2")])

    runs = [send_digest(store, settings, YEAR, sweep_id="sweep-2024-04-01") for _ in range(3)]

    assert [sorted(d.status for d in run) for run in runs] == [["sent"] * 3, ["duplicate"] * 3, ["duplicate"] * 3]
    assert len(web.at("/city")) == 1 and len(web.at("/county")) == 1 and len(smtp.messages) == 1
    # Another sweep is another digest.
    send_digest(store, settings, YEAR, sweep_id="sweep-2024-04-08")
    assert len(web.at("/city")) == 2


def test_a_pending_notification_left_by_a_crash_is_sent_by_the_next_run(
    make_store: Any, settings: Settings, web: Web
) -> None:
    store = make_store(
        [{"id": "county", "name": "县政务公开办", "notify": [{"url": f"json://127.0.0.1:{web.port}/county"}]}],
        [agency("a2", "county")],
    )
    record_review(store, "a2", ComplianceStatus.MISSING)
    url = f"json://127.0.0.1:{web.port}/county"
    key = target_key(f"digest:sweep-1:{YEAR}:county", url)
    with store.session() as session:  # committed, then the process died before apprise was called
        create_notification(
            session, NotificationRequest(idempotency_key=key, recipient="县", target_url=url, subject="s", body="b")
        )

    [first] = send_digest(store, settings, YEAR, sweep_id="sweep-1")
    [second] = send_digest(store, settings, YEAR, sweep_id="sweep-1")

    assert (first.status, first.key, second.status) == ("sent", key, "duplicate")
    assert len(web.at("/county")) == 1


def test_a_notification_interrupted_while_sending_is_never_sent_again(
    make_store: Any, settings: Settings, web: Web
) -> None:
    store = make_store(
        [{"id": "county", "name": "县政务公开办", "notify": [{"url": f"json://127.0.0.1:{web.port}/county"}]}],
        [agency("a2", "county")],
    )
    record_review(store, "a2", ComplianceStatus.MISSING)
    url = f"json://127.0.0.1:{web.port}/county"
    key = target_key(f"digest:sweep-1:{YEAR}:county", url)
    with store.session() as session:  # handed to apprise, then the process died before the outcome was recorded
        row, _ = create_notification(
            session, NotificationRequest(idempotency_key=key, recipient="县", target_url=url, subject="s", body="b")
        )
        mark_in_flight(session, row.id, IN_FLIGHT)

    [again] = send_digest(store, settings, YEAR, sweep_id="sweep-1")

    assert (again.status, again.error) == ("failed", IN_FLIGHT)
    assert web.at("/county") == []


def test_a_retried_review_alerts_once_per_state_change(
    make_store: Any, settings: Settings, web: Web, smtp: Mail
) -> None:
    store = _store(make_store, web, smtp)
    row = AgencyRow.model_validate(agency("a2", "county"))
    review = record_review(store, "a2", ComplianceStatus.DEFECTIVE, [finding("a2")])

    sent = [alert_on_review(store, settings, row, review, key_prefix="wf-1") for _ in range(3)]

    assert [[d.status for d in run] for run in sent] == [["sent"], ["duplicate"], ["duplicate"]]
    [request] = web.at("/county")
    assert request.json()["title"] == "【存在错误】机关a2 2023 年度报告"
    with store.session() as session:
        [notification] = session.scalars(select(Notification))
        assert notification.idempotency_key.startswith("wf-1:immediate:a2:2023:defective:")
