"""Traces: the Temporal SDK's `TracingInterceptor` on the worker's client (client interceptors reach the
workers built from it) makes spans for starting and running workflows and activities, linked across
processes through the Temporal headers; `dwatch.review` adds a span for parsing and one for checking.
Spans go to an OpenTelemetry collector over OTLP/HTTP, in batches.
"""

from __future__ import annotations

import threading

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.contrib.opentelemetry import TracingInterceptor

from dwatch.observability.settings import ObservabilitySettings

_lock = threading.Lock()
_providers: dict[tuple[str, str], TracerProvider] = {}


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL of a collector's base URL (`http://host:4318` → `…/v1/traces`)."""
    return f"{endpoint.rstrip('/')}/v1/traces"


def tracer_provider(settings: ObservabilitySettings) -> TracerProvider | None:
    """The process's provider exporting to the settings' collector (None: tracing is off). The first
    one made is also the global provider, which the spans of `dwatch.review` use."""
    if settings.otlp_endpoint is None:
        return None
    key = (settings.otlp_endpoint, settings.service_name)
    with _lock:
        provider = _providers.get(key)
        if provider is None:
            provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.service_name}))
            provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint)))
            )
            if not _providers:
                trace.set_tracer_provider(provider)
            _providers[key] = provider
    return provider


def interceptor(provider: trace.TracerProvider) -> TracingInterceptor:
    """Spans of workflows and activities from `provider`'s tracer. Workflows are traced even when their
    starter was not (a schedule, the CLI, the Temporal UI): the worker's spans are the whole trace."""
    return TracingInterceptor(provider.get_tracer("dwatch.temporal"), always_create_workflow_spans=True)


def flush_traces(timeout_millis: int = 5_000) -> None:
    """Export the spans still batched (a process leaving with `os._exit` runs no exit handlers)."""
    with _lock:
        providers = list(_providers.values())
    for provider in providers:
        provider.force_flush(timeout_millis)
