"""Our metrics from real reviews: a corpus report parsed and checked, and a document that cannot be
read, recorded inside an activity on a runtime serving Prometheus, then read back over HTTP."""

from __future__ import annotations

import dataclasses
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from corpus import CORPUS
from dwatch.workflows.models import Review
from observability_support import Sample, by_label, parse_metrics, total
from sqlalchemy import select
from store.factories import AGENCY, fetched, registered_store
from temporalio.runtime import Runtime
from temporalio.testing import ActivityEnvironment

from dwatch.alerts.delivery import Delivery
from dwatch.crawling import load_agencies
from dwatch.observability.metrics import record_deliveries, record_review
from dwatch.observability.runtime import Instrumentation, instrumentation, runtime_for
from dwatch.observability.settings import ObservabilitySettings
from dwatch.review import review_document
from dwatch.store.database import Store
from dwatch.store.documents import record_fetch
from dwatch.store.tables import Finding
from dwatch.temporal.devserver import free_port

YEAR = 2023
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512  # a legacy .doc: not readable


class Endpoint:
    """A metrics runtime of this test alone, and an activity environment recording into it."""

    def __init__(self) -> None:
        self.address = f"127.0.0.1:{free_port()}"
        runtime = runtime_for(ObservabilitySettings(metrics_address=self.address))
        assert isinstance(runtime, Runtime)
        self.activity = ActivityEnvironment()
        self.activity.metric_meter = runtime.metric_meter
        self.activity.info = dataclasses.replace(self.activity.info, activity_type="review")

    def scrape(self) -> list[Sample]:
        return parse_metrics(httpx.get(f"http://{self.address}/metrics", timeout=10).text)


@pytest.fixture
def endpoint() -> Endpoint:
    return Endpoint()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = registered_store(tmp_path)
    yield store
    store.close()


def review(store: Store, name: str, data: bytes) -> Review:
    with store.session() as session:
        document = record_fetch(session, store.blobs, fetched(url=f"https://www.huaihua.gov.cn/hhjj/{name}"), data)
        agency = load_agencies(session, [AGENCY])[0]
    return review_document(store, agency, YEAR, document.id)


def test_a_checked_report_is_counted_with_its_findings(endpoint: Endpoint, store: Store) -> None:
    checked = review(store, "report.txt", (CORPUS / "huaihua-jiaojing-2023.txt").read_bytes())
    assert checked.report_id is not None and checked.document_format == "text"
    endpoint.activity.run(record_review, checked)

    metrics = endpoint.scrape()
    assert by_label(metrics, "dwatch_agency_reports_total", "status") == {checked.status.value: 1}
    assert total(metrics, "dwatch_agency_reports_total", activity_type="review") == 1
    assert by_label(metrics, "dwatch_documents_parsed_total", "outcome", format="text") == {"parsed": 1}
    with store.session() as session:
        stored = Counter(session.execute(select(Finding.rule_id, Finding.severity)).all())
    counted = Counter(
        {
            (s.labels["rule_id"], s.labels["severity"]): int(s.value)
            for s in metrics
            if s.name == "dwatch_findings_total"
        }
    )
    assert counted == stored and sum(counted.values()) == sum(t.count for t in checked.findings_by_rule)
    assert total(metrics, "dwatch_parse_duration_seconds_count", format="text") == 1
    assert total(metrics, "dwatch_parse_duration_seconds_sum") == pytest.approx(checked.parse_seconds)
    assert total(metrics, "dwatch_check_duration_seconds_count") == 1


def test_an_unreadable_document_is_counted_as_unparseable(endpoint: Endpoint, store: Store) -> None:
    unreadable = review(store, "report.doc", OLE)
    assert unreadable.status.value == "unparseable" and unreadable.report_id is None
    endpoint.activity.run(record_review, unreadable)

    metrics = endpoint.scrape()
    assert by_label(metrics, "dwatch_agency_reports_total", "status") == {"unparseable": 1}
    assert by_label(metrics, "dwatch_documents_parsed_total", "outcome", format="unknown") == {"unparseable": 1}
    assert not any(s.name == "dwatch_findings_total" for s in metrics)
    assert total(metrics, "dwatch_check_duration_seconds_count") == 0


def test_alerts_are_counted_sent_or_failed_and_duplicates_not_at_all(endpoint: Endpoint) -> None:
    def delivery(channel: str, status: str) -> Delivery:
        return Delivery(supervisor="s", channel=channel, target=f"{channel}://****", status=status, key="k")

    deliveries = [
        delivery("mailto", "sent"),
        delivery("mailto", "sent"),
        delivery("wecombot", "failed"),
        delivery("mailto", "duplicate"),
    ]
    endpoint.activity.run(record_deliveries, deliveries)

    metrics = endpoint.scrape()
    assert by_label(metrics, "dwatch_alerts_total", "channel", outcome="sent") == {"mailto": 2}
    assert by_label(metrics, "dwatch_alerts_total", "channel", outcome="failed") == {"wecombot": 1}
    assert total(metrics, "dwatch_alerts_total") == 3


def test_a_process_without_settings_binds_nothing_and_traces_nothing() -> None:
    assert runtime_for(ObservabilitySettings()) is None
    assert instrumentation(ObservabilitySettings()) == Instrumentation(runtime=None, interceptors=[])


def test_one_runtime_per_metrics_address() -> None:
    settings = ObservabilitySettings(metrics_address=f"127.0.0.1:{free_port()}")
    assert runtime_for(settings) is runtime_for(settings.model_copy(update={"service_name": "other"}))


def test_a_metrics_address_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(RuntimeError, match=f"无法在 {address} 提供监控指标"):
            runtime_for(ObservabilitySettings(metrics_address=address))
