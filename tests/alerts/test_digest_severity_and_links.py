"""The digest as a supervisor reads it (issue 20): one name per status, the worst agencies and findings
first, info findings left out, and the e-mail's text part keeping every link's full address."""

from __future__ import annotations

from typing import Any

from alerts.receivers import Mail, agency, mailto
from alerts.support import TODAY, YEAR, finding, record_review
from dwatch.reports.checks.findings import Severity
from dwatch.reports.compliance import ComplianceStatus

from dwatch.alerts.service import send_digest
from dwatch.config import Settings
from dwatch.labels import COMPLIANCE_STATUS_ZH


def test_email_text_part_keeps_full_urls(make_store: Any, settings: Settings, smtp: Mail) -> None:
    store = make_store(
        [{"id": "city", "name": "市政务公开办", "notify": [{"url": mailto(smtp, "gongkai@example.gov.cn")}]}],
        [agency("a1", "city")],
    )
    source = "https://www.example.gov.cn/nb/2023/report.html?id=7&lang=zh"
    record_review(store, "a1", ComplianceStatus.DEFECTIVE, [finding("a1")], source_url=source)

    [delivery] = send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)

    assert delivery.status == "sent"
    [mail] = smtp.messages
    text_part = mail.get_body(("plain",))
    assert text_part is not None
    text = str(text_part.get_content())
    assert f"查看详情 https://dwatch.example.gov.cn/agencies/a1/{YEAR}" in text
    assert "报告原文 https://www.example.gov.cn/nb/2023/report.html?id=7&lang=zh" in text
    # The HTML part still links them under their labels.
    assert f'<a href="https://dwatch.example.gov.cn/agencies/a1/{YEAR}">查看详情</a>' in smtp.html(mail)


def test_digest_names_each_status_once_and_lists_the_worst_first(
    make_store: Any, settings: Settings, smtp: Mail
) -> None:
    store = make_store(
        [{"id": "city", "name": "市政务公开办", "notify": [{"url": mailto(smtp, "gongkai@example.gov.cn")}]}],
        [agency(a, "city") for a in ("a1", "a2", "a3", "a4")],
    )
    info = finding("a1", "ART-01").model_copy(update={"severity": Severity.INFO, "message_zh": "排版痕迹已合并"})
    warning = finding("a1", "N-01").model_copy(update={"severity": Severity.WARNING, "message_zh": "正文数字待核对"})
    # a1: one warning and an info note; a2: two errors. a2 must come first.
    record_review(store, "a1", ComplianceStatus.DEFECTIVE, [warning, info])
    record_review(store, "a2", ComplianceStatus.DEFECTIVE, [finding("a2", "T3-03"), finding("a2", "T3-04")])
    record_review(store, "a3", ComplianceStatus.UNREACHABLE)
    record_review(store, "a4", ComplianceStatus.UNPARSEABLE)

    send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)

    [mail] = smtp.messages
    text_part = mail.get_body(("plain",))
    assert text_part is not None
    text = str(text_part.get_content())
    unreachable, unparseable = (
        COMPLIANCE_STATUS_ZH[ComplianceStatus.UNREACHABLE],
        COMPLIANCE_STATUS_ZH[ComplianceStatus.UNPARSEABLE],
    )
    assert f"{unreachable} 1" in mail["subject"] and f"{unparseable} 1" in mail["subject"]
    assert "无法核查" not in text and "无法核查" not in mail["subject"]
    compliant = COMPLIANCE_STATUS_ZH[ComplianceStatus.COMPLIANT]
    assert f"{compliant} 0" not in mail["subject"] and " 0" not in mail["subject"]  # only statuses present
    assert text.index("机关a2") < text.index("机关a1")
    assert "错误：T3-03 数据不一致" in text and "警告：正文数字待核对" in text
    assert "排版痕迹已合并" not in text  # info: nobody's action
