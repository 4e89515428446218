"""Structured logs: JSON lines with the Temporal context of the activity that logged them, extras kept,
and secrets in notification and webhook URLs masked (text format too)."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Iterator

import pytest
from temporalio import activity
from temporalio.testing import ActivityEnvironment

from dwatch.observability.logs import configure_logging
from dwatch.observability.settings import ObservabilitySettings

TOKEN = "a1b2c3d4e5f6a7b8c9d0e1f2"
SECRET_URLS = [
    f"wecombot://{TOKEN}",
    "mailto://dwatch:s3cretpass@smtp.example.com?to=sup@example.com",
    f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}",
    f"https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}",
]
PAGE = "https://www.huaihua.gov.cn/hhjj/zfxxgknb/list_2.shtml?page=2"
log = logging.getLogger("dwatch.test.observability")


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """The root logger's records through `configure_logging`, restored afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield io.StringIO()
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(output: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def in_activity(fn: object) -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info,
        activity_type="review",
        activity_id="7",
        workflow_id="report/farm-00001/2025",
        workflow_run_id="run-123",
        workflow_type="AgencyReport",
        attempt=2,
    )
    env.run(fn)


def test_json_lines_carry_the_activity_context_and_extras(output: io.StringIO) -> None:
    configure_logging(ObservabilitySettings(log_format="json"), output)

    def work() -> None:
        log.info("reviewed %s", "farm-00001", extra={"agency_id": "farm-00001", "year": 2025})
        activity.logger.warning("through the SDK's adapter")

    in_activity(work)
    log.info("outside any activity")

    plain, adapted, outside = lines(output)
    assert plain["message"] == "reviewed farm-00001" and plain["level"] == "INFO"
    assert plain["logger"] == "dwatch.test.observability"
    assert plain["timestamp"].endswith("+00:00")
    for entry in (plain, adapted):
        assert entry["workflow_id"] == "report/farm-00001/2025"
        assert entry["run_id"] == "run-123"
        assert entry["activity_type"] == "review"
        assert entry["attempt"] == 2
    assert plain["agency_id"] == "farm-00001" and plain["year"] == 2025
    assert adapted["level"] == "WARNING" and "temporal_activity" not in adapted
    assert "workflow_id" not in outside and "activity_type" not in outside


def test_secrets_in_urls_are_masked_and_web_pages_stay_readable(output: io.StringIO) -> None:
    configure_logging(ObservabilitySettings(log_format="json"), output)
    for url in SECRET_URLS:
        log.warning("delivery to %s failed", url, extra={"target": url})
    log.info("fetched %s", PAGE)
    try:
        raise ConnectionError(f"cannot reach {SECRET_URLS[0]}")
    except ConnectionError:
        log.exception("send failed")

    text = output.getvalue()
    assert TOKEN not in text and "s3cretpass" not in text
    entries = lines(output)
    assert [e["message"] for e in entries[:4]] == [
        "delivery to wecombot://**** failed",
        "delivery to mailto://****@smtp.example.com/**** failed",
        "delivery to https://oapi.dingtalk.com/**** failed",
        "delivery to https://open.feishu.cn/**** failed",
    ]
    assert entries[0]["target"] == "wecombot://****"
    assert entries[4]["message"] == f"fetched {PAGE}"
    assert "ConnectionError: cannot reach wecombot://****" in entries[5]["exception"]


def test_text_lines_have_the_context_and_mask_secrets(output: io.StringIO) -> None:
    configure_logging(ObservabilitySettings(), output)
    in_activity(lambda: log.error("delivery to %s failed", SECRET_URLS[2], extra={"agency_id": "farm-00001"}))

    (line,) = output.getvalue().splitlines()
    assert " ERROR dwatch.test.observability: delivery to https://oapi.dingtalk.com/**** failed [" in line
    assert "workflow_id=report/farm-00001/2025" in line and "activity_type=review" in line
    assert "agency_id=farm-00001" in line and TOKEN not in line


def test_configuring_again_replaces_only_its_own_handler(output: io.StringIO) -> None:
    other = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(other)
    configure_logging(ObservabilitySettings(log_format="json", log_level="warning"), output)
    second = io.StringIO()
    configure_logging(ObservabilitySettings(log_format="json", log_level="warning"), second)
    log.info("below the level")
    log.warning("once")

    assert output.getvalue() == ""
    assert [e["message"] for e in lines(second)] == ["once"]
    assert other in logging.getLogger().handlers
