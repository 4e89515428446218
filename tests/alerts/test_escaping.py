"""Crawled text (HTML, Markdown links, control characters) arrives inert in every channel."""

from __future__ import annotations

from typing import Any

from alerts.receivers import Mail, Web, agency, mailto
from alerts.support import TODAY, UNTRUSTED, YEAR, finding, record_review
from dwatch.reports.compliance import ComplianceStatus
from hypothesis import given
from hypothesis import strategies as st

from dwatch.alerts.messages import clean, markdown_escape, safe_url
from dwatch.alerts.service import send_digest
from dwatch.config import Settings

# Plain text renders no markup, so only controls and clickable links matter there.
LIVE = ("http://evil", "www.", "\x07")


def test_untrusted_evidence_is_escaped_per_channel(make_store: Any, settings: Settings, web: Web, smtp: Mail) -> None:
    notify = [
        {"url": mailto(smtp, "city@example.gov.cn")},
        {"url": f"json://127.0.0.1:{web.port}/hook"},
        {"url": "wecombot://goodkey"},
        {"url": "dingtalk://goodtoken"},
        {"url": "feishu://goodtoken"},
    ]
    store = make_store([{"id": "city", "name": "市政务公开办", "notify": notify}], [agency("a1", "city")])
    record_review(store, "a1", ComplianceStatus.DEFECTIVE, [finding("a1", evidence=UNTRUSTED)])

    send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)

    html = smtp.html(smtp.messages[0])
    markdown = [
        web.at("/robot/send")[0].json()["markdown"]["text"],
        web.at("/open-apis/bot/v2/hook/goodtoken")[0].json()["card"]["elements"][0]["content"],
    ]
    text = [web.at("/hook")[0].json()["message"], web.at("/cgi-bin/webhook/send")[0].json()["text"]["content"]]
    for body in [html, *markdown, *text]:
        assert not any(live in body for live in LIVE), body
        assert ("<script" in body) is (body in text)
        assert "响铃结束" in body and "evil.example/steal" in body  # the words are kept, inert
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html and "http[:]//evil.example" in html
    assert all("&lt;script&gt;" in body and r"\[链接\]" in body for body in markdown)
    assert all('<script>alert("x")</script>' in body and "[链接](http[:]//evil.example/steal)" in body for body in text)


@given(st.text())
def test_cleaned_text_is_one_line_without_controls_or_live_urls(text: str) -> None:
    cleaned = clean(text)
    assert "\n" not in cleaned and not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in cleaned)
    assert "://" not in cleaned
    escaped = markdown_escape(cleaned)
    assert "<" not in escaped and ">" not in escaped


def test_only_http_links_are_built() -> None:
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None
    assert safe_url("https://a.gov.cn/x y(1).html") == "https://a.gov.cn/x%20y%281%29.html"
