"""`dwatch notify test|preview|inbox`, with the demo inbox as the receiver."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alerts.receivers import agency
from alerts.support import finding, record_review
from dwatch.reports.compliance import ComplianceStatus
from typer.testing import CliRunner, Result

from dwatch.cli import _register, app
from dwatch.demo.inbox import Inbox

Invoke = Callable[..., Result]


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Inbox]:
    with Inbox(tmp_path) as running:
        yield running


@pytest.fixture
def cli(tmp_path: Path) -> Invoke:
    _register()
    env = {"DWATCH_DATA_DIR": str(tmp_path), "DWATCH_ALERTS__RETRY_BACKOFF": "0.05", "COLUMNS": "200"}
    return lambda *args: CliRunner().invoke(app, list(args), env=env)


def test_notify_test_sends_to_every_channel_and_the_inbox_lists_them(
    make_store: Any, inbox: Inbox, cli: Invoke
) -> None:
    notify = [{"url": url, "tags": ["kind.escalation"]} for url in inbox.urls()]
    make_store([{"id": "city", "name": "市政务公开办", "notify": notify}], [])

    result = cli("notify", "test", "city")

    assert result.exit_code == 0, result.output
    assert result.output.count("已发送") == 2 and "mailto://127.0.0.1" not in result.output  # masked
    listed = cli("notify", "inbox", "--json")
    messages = json.loads(listed.output)
    assert sorted(m["channel"] for m in messages) == ["email", "webhook"]
    assert {m["subject"] for m in messages} == {"Disclosure Watch 测试消息"}
    assert "市政务公开办：这是一条测试消息" in next(m for m in messages if m["channel"] == "email")["html"]
    assert "示范收件箱（2）" in cli("notify", "inbox").output


def test_notify_test_reports_a_failing_channel(make_store: Any, cli: Invoke, closed_port: int) -> None:
    make_store([{"id": "city", "name": "市", "notify": [{"url": f"json://127.0.0.1:{closed_port}/x"}]}], [])
    result = cli("notify", "test", "city")
    assert result.exit_code == 1 and "失败" in result.output and "Connection" in result.output
    assert cli("notify", "test", "nobody").exit_code == 1


def test_notify_preview_renders_without_sending(make_store: Any, inbox: Inbox, cli: Invoke) -> None:
    notify = [{"url": url} for url in inbox.urls()]
    store = make_store([{"id": "city", "name": "市政务公开办", "notify": notify}], [agency("a1", "city")])
    record_review(store, "a1", ComplianceStatus.DEFECTIVE, [finding("a1")])

    text = cli("notify", "preview", "city", "--year", "2023")
    markdown = cli("notify", "preview", "city", "--year", "2023", "--format", "markdown")

    assert text.exit_code == 0, text.output
    assert "主题：市政务公开办：2023 年度报告检查汇总" in text.output and "ACC-01 数据不一致" in text.output
    assert "**机关a1**" in markdown.output
    assert json.loads(cli("notify", "inbox", "--json").output) == []
