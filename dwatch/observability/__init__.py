"""Observability of the service: Prometheus metrics (the Temporal SDK's worker metrics and ours,
`dwatch_*`, on one endpoint), OpenTelemetry traces through the Temporal interceptor, structured logs.

- `settings`: `ObservabilitySettings` (`DWATCH_OBSERVABILITY__*`);
- `runtime`: the Temporal runtime and client interceptors of a worker process (`instrumentation`);
- `metrics`: what the activities record (`record_review`, `record_deliveries`);
- `tracing`: the tracer provider exporting OTLP/HTTP, spans of our own;
- `logs`: `configure_logging` (text or JSON lines, Temporal context, secrets masked).

This module imports none of them: `dwatch.config` imports the settings early.
"""
