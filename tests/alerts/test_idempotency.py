"""One message per key, however often a sweep's notification step or an activity runs; a digest's key is
its state and period, so an unchanged state is digested once a period and a changed one again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alerts.receivers import Mail, Web, agency, mailto
from alerts.support import TODAY, YEAR, finding, record_review
from dwatch.reports.compliance import ComplianceStatus
from sqlalchemy import select

from dwatch.alerts import delivery
from dwatch.alerts.delivery import IN_FLIGHT
from dwatch.alerts.service import alert_on_review, send_digest
from dwatch.config import Settings
from dwatch.store.registry.models import AgencyRow
from dwatch.store.tables import Notification


def _store(make_store: Any, web: Web, smtp: Mail) -> Any:
    notify = [{"url": f"json://127.0.0.1:{web.port}/city"}, {"url": mailto(smtp, "city@example.gov.cn")}]
    return make_store(
        [
            {"id": "city", "name": "市政务公开办", "notify": notify},
            {"id": "county", "name": "县政务公开办", "notify": [{"url": f"json://127.0.0.1:{web.port}/county"}]},
        ],
        [agency("a1", "city"), agency("a2", "county")],
    )


def test_a_digest_of_an_unchanged_state_is_sent_once_a_period(
    make_store: Any, settings: Settings, web: Web, smtp: Mail
) -> None:
    store = _store(make_store, web, smtp)
    record_review(store, "a1", ComplianceStatus.MISSING)
    record_review(store, "a2", ComplianceStatus.DEFECTIVE, [finding("a2")])

    # Three sweeps the same day (a retried activity, another sweep, the demo run again), nothing changed.
    runs = [send_digest(store, settings, YEAR, sweep_id=f"sweep-{n}", today=TODAY) for n in range(3)]

    assert [sorted(d.status for d in run) for run in runs] == [["sent"] * 3, ["duplicate"] * 3, ["duplicate"] * 3]
    assert len(web.at("/city")) == 1 and len(web.at("/county")) == 1 and len(smtp.messages) == 1
    # The next period is another digest, even of the same state.
    send_digest(store, settings, YEAR, sweep_id="sweep-next-week", today=TODAY + timedelta(days=7))
    assert len(web.at("/city")) == 2


def test_a_changed_state_is_digested_again_in_the_same_period(
    make_store: Any, settings: Settings, web: Web, smtp: Mail
) -> None:
    store = _store(make_store, web, smtp)
    record_review(store, "a2", ComplianceStatus.DEFECTIVE, [finding("a2")])

    def county_digests() -> int:
        send_digest(store, settings, YEAR, sweep_id="sweep", today=TODAY)
        return len(web.at("/county"))

    assert county_digests() == 1
    record_review(store, "a2", ComplianceStatus.DEFECTIVE, [finding("a2"), finding("a2", "T3-02")])
    assert county_digests() == 2  # another finding
    record_review(store, "a2", ComplianceStatus.COMPLIANT)
    assert county_digests() == 3  # fixed
    record_review(store, "a2", ComplianceStatus.DEFECTIVE, [finding("a2"), finding("a2", "T3-02")])
    assert county_digests() == 4  # defective again: a change, though back to a state digested before
    assert county_digests() == 4


class _Died(Exception):
    """The process ends here (a worker killed between two steps of a delivery)."""


def _die(*_: object) -> None:
    raise _Died


def test_a_pending_notification_left_by_a_crash_is_sent_by_the_next_run(
    make_store: Any, settings: Settings, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store(
        [{"id": "county", "name": "县政务公开办", "notify": [{"url": f"json://127.0.0.1:{web.port}/county"}]}],
        [agency("a2", "county")],
    )
    record_review(store, "a2", ComplianceStatus.MISSING)
    with monkeypatch.context() as crash:  # committed, then the process died before apprise was called
        crash.setattr(delivery, "_deliver", _die)
        with pytest.raises(_Died):
            send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)
    with store.session() as session:
        [pending] = session.scalars(select(Notification))
        assert (pending.status, pending.attempts) == ("pending", 0)

    [first] = send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)
    [second] = send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)

    assert (first.status, first.key, second.status) == ("sent", pending.idempotency_key, "duplicate")
    assert len(web.at("/county")) == 1


def test_a_notification_interrupted_while_sending_is_never_sent_again(
    make_store: Any, settings: Settings, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store(
        [{"id": "county", "name": "县政务公开办", "notify": [{"url": f"json://127.0.0.1:{web.port}/county"}]}],
        [agency("a2", "county")],
    )
    record_review(store, "a2", ComplianceStatus.MISSING)
    with monkeypatch.context() as crash:  # handed to apprise, then the process died before the outcome was recorded
        crash.setattr(delivery, "_send_parts", _die)
        with pytest.raises(_Died):
            send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)

    [again] = send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)

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
