"""A real sweep on the dev server through a worker process's instrumented client: the Prometheus
endpoint then serves the SDK's worker metrics and ours with the sweep's numbers, and the OTLP
collector has the workflow and activity spans.

Reviews run in a child process (`review_processes=1`): the counts of parsing and checking are
recorded by the worker process from the returned review, so they are on its endpoint too.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from dwatch.demo.sitefarm import Farm, plan
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.workflows.models import report_workflow_id
from dwatch.workflows.sweep import DeadlineSweep
from observability_support import Collector, Sample, Span, by_label, parse_metrics, total
from sqlalchemy import select
from temporal_support import YEAR, env_for

from dwatch import ops
from dwatch.config import Settings
from dwatch.demo.inbox import Inbox
from dwatch.demo.registry import import_demo
from dwatch.observability.runtime import flush, instrumentation
from dwatch.store.tables import AgencyStatus, Finding, Notification
from dwatch.temporal.client import connect
from dwatch.temporal.devserver import DevServer, free_port
from dwatch.temporal.worker import prepare_store, worker

SCENARIOS = [Scenario.COMPLIANT, Scenario.DEFECTIVE, Scenario.DOWN, Scenario.LATE]


@dataclass(frozen=True)
class Observed:
    settings: Settings
    farm: Farm
    sweep_id: str
    metrics: list[Sample]
    spans: list[Span]
    statuses: dict[str, str]
    findings: Counter[tuple[str, str]]  # (rule, severity) → findings recorded
    notifications: Counter[tuple[str, str]]  # (channel, status) → notifications


@pytest.fixture(scope="module")
def observed(
    dev_server: DevServer, collector: Collector, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Observed]:
    data_dir = tmp_path_factory.mktemp("observed") / "var"
    metrics_address = f"127.0.0.1:{free_port()}"
    env = env_for(data_dir, dev_server.address, review_processes="1") | {
        "DWATCH_OBSERVABILITY__METRICS_ADDRESS": metrics_address,
        "DWATCH_OBSERVABILITY__OTLP_ENDPOINT": collector.url,
        "DWATCH_OBSERVABILITY__SERVICE_NAME": "dwatch-test",
    }
    settings = Settings.from_env(env)
    farm = Farm(plan(len(SCENARIOS), YEAR, seed=11, scenarios=SCENARIOS), YEAR, seed=11)
    farm.prerender()
    with farm, Inbox(data_dir) as inbox:
        store = prepare_store(settings)
        import_demo(store, farm, inbox.urls())
        sweep_id = asyncio.run(_sweep(settings))
        flush()
        text = httpx.get(f"http://{metrics_address}/metrics", timeout=10).text
        with store.session() as session:
            statuses = dict(session.execute(select(AgencyStatus.agency_id, AgencyStatus.status)).all())
            findings = Counter(session.execute(select(Finding.rule_id, Finding.severity)).all())
            notifications = Counter(
                (urlsplit(url).scheme, status)
                for url, status in session.execute(select(Notification.target_masked, Notification.status))
            )
        store.close()
    yield Observed(
        settings, farm, sweep_id, parse_metrics(text), list(collector.spans), statuses, findings, notifications
    )


async def _sweep(settings: Settings) -> str:
    client = await connect(settings.temporal, instrumentation(settings.observability))
    async with worker(client, settings):
        sweep_id = await ops.start_sweep(settings, YEAR, client=client)
        progress = await asyncio.wait_for(client.get_workflow_handle_for(DeadlineSweep.run, sweep_id).result(), 120)
        assert progress.done == len(SCENARIOS) and progress.failed == 0
    return sweep_id


def test_agency_outcomes_are_counted_by_compliance_status(observed: Observed) -> None:
    assert sorted(observed.statuses.values()) == ["compliant", "defective", "late", "unreachable"]
    counted = by_label(observed.metrics, "dwatch_agency_reports_total", "status")
    assert counted == dict(Counter(observed.statuses.values()))
    # recorded inside the activity that reviewed (the crawl: this worker holds the review role too):
    # the SDK's activity labels come along
    assert total(observed.metrics, "dwatch_agency_reports_total", activity_type="crawl") == len(SCENARIOS)


def test_documents_parsed_are_counted_by_format(observed: Observed) -> None:
    reachable = [a for a in observed.farm.agencies if a.scenario is not Scenario.DOWN]
    expected = Counter(a.doc_format.value for a in reachable)
    assert by_label(observed.metrics, "dwatch_documents_parsed_total", "format") == dict(expected)
    assert total(observed.metrics, "dwatch_documents_parsed_total", outcome="parsed") == len(reachable)
    assert total(observed.metrics, "dwatch_parse_duration_seconds_count") == len(reachable)
    assert total(observed.metrics, "dwatch_check_duration_seconds_count") == len(reachable)
    assert total(observed.metrics, "dwatch_parse_duration_seconds_sum") > 0
    # our bucket boundaries, not the SDK's millisecond defaults
    assert total(observed.metrics, "dwatch_parse_duration_seconds_bucket", le="120") == len(reachable)


def test_findings_are_counted_by_rule_and_severity_as_recorded(observed: Observed) -> None:
    counted = Counter(
        {
            (s.labels["rule_id"], s.labels["severity"]): int(s.value)
            for s in observed.metrics
            if s.name == "dwatch_findings_total"
        }
    )
    assert counted  # the defective and the late report have findings
    assert counted == observed.findings
    assert any(severity == "error" for _, severity in counted)


def test_alerts_are_counted_by_channel_and_outcome(observed: Observed) -> None:
    sent = {channel: n for (channel, status), n in observed.notifications.items() if status == "sent"}
    assert set(sent) == {"mailto", "json"}  # the inbox's e-mail and webhook
    assert by_label(observed.metrics, "dwatch_alerts_total", "channel", outcome="sent") == sent
    # immediate alerts from the `alert` activity, the digest from `digest`
    assert total(observed.metrics, "dwatch_alerts_total", activity_type="digest") == 2
    assert total(observed.metrics, "dwatch_alerts_total", outcome="failed") == 0


def test_the_sdk_worker_metrics_are_on_the_same_endpoint(observed: Observed) -> None:
    metrics = observed.metrics
    assert total(metrics, "temporal_workflow_completed", workflow_type="AgencyReport") == len(SCENARIOS)
    assert total(metrics, "temporal_workflow_completed", workflow_type="DeadlineSweep") == 1
    assert total(metrics, "temporal_activity_execution_latency_count", activity_type="crawl") >= len(SCENARIOS)
    assert total(metrics, "temporal_activity_execution_latency_count", activity_type="review") == 0  # in the crawl
    assert any(s.name == "temporal_worker_task_slots_available" for s in metrics)
    assert {s.labels.get("service_name") for s in metrics} == {"dwatch-test"}


def test_workflows_and_activities_are_traced_to_the_collector(observed: Observed, collector: Collector) -> None:
    assert set(collector.paths) == {"/v1/traces"}
    spans = [s for s in observed.spans if s.service == "dwatch-test"]
    names = {s.name for s in spans}
    assert {"StartWorkflow:DeadlineSweep", "RunWorkflow:DeadlineSweep", "RunWorkflow:AgencyReport"} <= names
    assert {"StartActivity:crawl", "RunActivity:crawl"} <= names
    for agency in observed.farm.agencies:
        workflow_id = report_workflow_id(agency.agency_id, YEAR)
        ran = {s.name for s in spans if s.attributes.get("temporalWorkflowID") == workflow_id}
        assert {"RunWorkflow:AgencyReport", "RunActivity:crawl"} <= ran, workflow_id
    # one trace from the start of the sweep to its agencies' activities
    started = next(s for s in spans if s.name == "StartWorkflow:DeadlineSweep")
    assert started.attributes["temporalWorkflowID"] == observed.sweep_id
    crawled = [s for s in spans if s.name == "RunActivity:crawl"]
    assert {s.trace_id for s in crawled} == {started.trace_id}
