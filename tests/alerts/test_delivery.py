"""Real deliveries to local receivers: e-mail, webhooks, WeCom / DingTalk / Feishu stand-ins."""

from __future__ import annotations

import itertools
from typing import Any

from alerts.receivers import Mail, Web, agency, mailto
from alerts.support import TODAY, YEAR, finding, record_review
from dwatch.reports.compliance import ComplianceStatus
from sqlalchemy import select

from dwatch.alerts.service import send_digest
from dwatch.config import Settings
from dwatch.store.notifications import attempts
from dwatch.store.tables import Notification


def _all_channels(web: Web, smtp: Mail) -> list[dict[str, Any]]:
    return [
        {"url": mailto(smtp, "gongkai@example.gov.cn")},
        {"url": f"json://127.0.0.1:{web.port}/hook?token=s3cret-json", "tags": ["webhook"]},
        {"url": f"form://127.0.0.1:{web.port}/form"},
        {"url": "wecombot://goodwecomkey"},
        {"url": "dingtalk://goodtoken123"},
        {"url": "feishu://good-feishu-token"},
    ]


def test_digest_reaches_every_channel_in_its_format(make_store: Any, settings: Settings, web: Web, smtp: Mail) -> None:
    store = make_store(
        [{"id": "city", "name": "市政务公开办", "notify": _all_channels(web, smtp)}],
        [agency("a1", "city"), agency("a2", "city")],
    )
    record_review(
        store, "a1", ComplianceStatus.DEFECTIVE, [finding("a1")], source_url="https://www.example.gov.cn/nb/1.html"
    )
    record_review(store, "a2", ComplianceStatus.COMPLIANT)

    deliveries = send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)

    assert sorted(d.channel for d in deliveries) == ["dingtalk", "feishu", "form", "json", "mailto", "wecombot"]
    assert {d.status for d in deliveries} == {"sent"}
    [mail] = smtp.messages
    assert "存在错误 1" in mail["subject"]
    html = smtp.html(mail)
    assert '<a href="https://www.example.gov.cn/nb/1.html">报告原文</a>' in html
    assert '<a href="https://dwatch.example.gov.cn/agencies/a1/2023">' in html
    [hook] = web.at("/hook")
    assert hook.json()["title"].startswith("市政务公开办") and "机关a1" in hook.json()["message"]
    assert "机关a2" in web.at("/form")[0].form()["message"]
    [wecom] = web.at("/cgi-bin/webhook/send")
    assert wecom.query == {"key": "goodwecomkey"} and wecom.json()["msgtype"] == "text"
    [ding] = web.at("/robot/send")
    assert ding.query["access_token"] == "goodtoken123"
    assert "[报告原文](https://www.example.gov.cn/nb/1.html)" in ding.json()["markdown"]["text"]
    [card] = web.at("/open-apis/bot/v2/hook/good-feishu-token")
    assert card.json()["msg_type"] == "interactive"
    assert "**机关a1**" in card.json()["card"]["elements"][0]["content"]


def test_errcode_rejections_are_failures_retried_and_logged(make_store: Any, settings: Settings, web: Web) -> None:
    rejected = [{"url": "wecombot://badwecomkey"}, {"url": "dingtalk://badtoken999"}, {"url": "feishu://bad-token"}]
    store = make_store([{"id": "city", "name": "市政务公开办", "notify": rejected}], [agency("a1", "city")])
    record_review(store, "a1", ComplianceStatus.MISSING)

    deliveries = send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)

    assert {d.status for d in deliveries} == {"failed"}
    assert all(d.attempts == 3 for d in deliveries)
    assert all("errcode=93000" in (d.error or "") and "invalid webhook url" in (d.error or "") for d in deliveries)
    assert len(web.requests) == 9
    with store.session() as session:
        rows = list(session.scalars(select(Notification)))
        assert {r.status for r in rows} == {"failed"}
        assert {r.target_masked for r in rows} == {"wecombot://****", "dingtalk://****", "feishu://****"}
        logged = [a for r in rows for a in attempts(session, r.id)]
    assert len(logged) == 9 and not any(a.ok for a in logged)
    assert not any("badwecomkey" in (a.error or "") or "badtoken999" in (a.error or "") for a in logged)


def test_a_receiver_that_is_down_delays_no_one_else(
    make_store: Any, settings: Settings, web: Web, closed_port: int
) -> None:
    store = make_store(
        [
            {"id": "down", "name": "失联的政务公开办", "notify": [{"url": f"json://127.0.0.1:{closed_port}/x"}]},
            {"id": "up", "name": "正常的政务公开办", "notify": [{"url": f"json://127.0.0.1:{web.port}/up"}]},
        ],
        [agency("a1", "down"), agency("a2", "up")],
    )
    record_review(store, "a1", ComplianceStatus.MISSING)
    record_review(store, "a2", ComplianceStatus.MISSING)

    deliveries = {d.supervisor: d for d in send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)}

    assert deliveries["up"].status == "sent" and len(web.at("/up")) == 1
    assert deliveries["down"].status == "failed" and deliveries["down"].attempts == 3
    assert "Connection" in (deliveries["down"].error or "")
    with store.session() as session:
        failed = session.get(Notification, deliveries["down"].notification_id)
        sent = session.get(Notification, deliveries["up"].notification_id)
        assert failed is not None and sent is not None and sent.sent_at is not None
        times = [a.attempted_at for a in attempts(session, failed.id)]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    # Exponential backoff: 0.2 s, then 0.4 s (plus the time of each attempt).
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4
    # The healthy supervisor was served before the failing one gave up, not after.
    assert sent.sent_at < times[-1]
