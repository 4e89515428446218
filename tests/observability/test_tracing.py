"""Traces of a real agency-year through the tracing interceptor (spans kept in memory), and the OTLP/HTTP
export the worker processes are configured with."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from dwatch.demo.sitefarm import Farm, plan
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.workflows.models import report_workflow_id
from dwatch.workflows.sweep import DeadlineSweep
from observability_support import Collector
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporal_support import YEAR, settings_for
from temporalio.client import Client

from dwatch import ops
from dwatch.demo.inbox import Inbox
from dwatch.demo.registry import import_demo
from dwatch.observability import tracing
from dwatch.observability.settings import ObservabilitySettings
from dwatch.temporal.client import connect
from dwatch.temporal.devserver import DevServer
from dwatch.temporal.worker import prepare_store, worker


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Spans of the interceptor and of `dwatch.review` (the global provider's tracer) in memory."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # no SDK provider yet: this one becomes the global one
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    yield exporter
    processor.shutdown()


def test_an_agency_year_is_traced_from_the_sweep_start_to_parsing(
    dev_server: DevServer, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path / "var", dev_server.address)
    farm = Farm(plan(1, YEAR, seed=3, scenarios=[Scenario.DEFECTIVE]), YEAR, seed=3)
    farm.prerender()
    with farm, Inbox(tmp_path / "var") as inbox:
        store = prepare_store(settings)
        import_demo(store, farm, inbox.urls())
        store.close()

        async def sweep() -> str:
            plain = await connect(settings.temporal)
            provider = trace.get_tracer_provider()
            assert isinstance(provider, TracerProvider)
            client = Client(**{**plain.config(), "interceptors": [tracing.interceptor(provider)]})
            async with worker(client, settings):
                sweep_id = await ops.start_sweep(settings, YEAR, client=client)
                await asyncio.wait_for(client.get_workflow_handle_for(DeadlineSweep.run, sweep_id).result(), 60)
            return sweep_id

        sweep_id = asyncio.run(sweep())

    finished = spans.get_finished_spans()
    report_id = report_workflow_id(farm.agencies[0].agency_id, YEAR)

    def named(name: str, workflow_id: str) -> ReadableSpan:
        matching = [
            s for s in finished if s.name == name and (s.attributes or {}).get("temporalWorkflowID") == workflow_id
        ]
        assert matching, f"no span {name} of {workflow_id}: {sorted({s.name for s in finished})}"
        return matching[0]

    started = named("StartWorkflow:DeadlineSweep", sweep_id)
    named("RunWorkflow:DeadlineSweep", sweep_id)
    named("RunWorkflow:AgencyReport", report_id)
    named("StartActivity:crawl", report_id)
    crawled = named("RunActivity:crawl", report_id)
    assert crawled.context.trace_id == started.context.trace_id
    assert not [s for s in finished if s.name.endswith("Activity:review")]  # this worker reviews in the crawl

    # parsing and checking (in a thread of the worker) are children of the crawl activity's span
    parse = next(s for s in finished if s.name == "parse")
    check = next(s for s in finished if s.name == "check")
    for span in (parse, check):
        assert span.parent is not None and span.parent.span_id == crawled.context.span_id
        assert (span.attributes or {})["agency_id"] == farm.agencies[0].agency_id
        assert (span.attributes or {})["format"] == farm.agencies[0].doc_format.value
    assert parse.end_time is not None and parse.start_time is not None and parse.end_time > parse.start_time


def test_spans_are_exported_over_otlp_http_with_the_service_name(collector: Collector) -> None:
    settings = ObservabilitySettings(otlp_endpoint=f"{collector.url}/", service_name="dwatch-otlp-test")
    provider = tracing.tracer_provider(settings)
    assert provider is not None and tracing.tracer_provider(settings) is provider
    with provider.get_tracer("test").start_as_current_span("exported", attributes={"agency_id": "a-1"}):
        pass
    tracing.flush_traces()

    exported = [s for s in collector.spans if s.service == "dwatch-otlp-test"]
    assert [(s.name, s.attributes) for s in exported] == [("exported", {"agency_id": "a-1"})]
    assert "/v1/traces" in collector.paths
