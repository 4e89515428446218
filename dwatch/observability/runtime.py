"""What a worker process's Temporal client is built with: the runtime serving Prometheus `/metrics` (the
SDK's worker metrics and ours) and the tracing interceptor.

Only worker processes ask for it (`connect(settings.temporal, instrumentation(settings.observability))`):
a CLI command connects with the default runtime, binds no port and records nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from temporalio.client import Interceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from dwatch.observability import metrics
from dwatch.observability.settings import ObservabilitySettings

_lock = threading.Lock()
_runtimes: dict[str, Runtime] = {}
_providers_made = False


def runtime_for(settings: ObservabilitySettings) -> Runtime | None:
    """The process's runtime serving metrics on the settings' address, made on first use (a runtime
    binds its port when it is made, and has threads of its own: one per process). None: no metrics."""
    address = settings.metrics_address
    if address is None:
        return None
    with _lock:
        runtime = _runtimes.get(address)
        if runtime is None:
            try:
                runtime = Runtime(
                    telemetry=TelemetryConfig(
                        metrics=PrometheusConfig(bind_address=address, histogram_bucket_overrides=metrics.BUCKETS),
                        attach_service_name=False,
                        global_tags={"service_name": settings.service_name},
                    )
                )
            except ValueError as exc:  # the SDK's word for an address it cannot bind
                raise RuntimeError(
                    f"无法在 {address} 提供监控指标（DWATCH_OBSERVABILITY__METRICS_ADDRESS）：{exc}"
                ) from exc
            _runtimes[address] = runtime
            if len(_runtimes) == 1:
                metrics.use_process_meter(runtime.metric_meter)
    return runtime


@dataclass(frozen=True)
class Instrumentation:
    runtime: Runtime | None = None  # None: the SDK's default runtime
    interceptors: list[Interceptor] = field(default_factory=list)


def instrumentation(settings: ObservabilitySettings) -> Instrumentation:
    """The runtime and client interceptors of a worker process."""
    global _providers_made
    interceptors: list[Interceptor] = []
    if settings.otlp_endpoint is not None:
        # Imported on use: the OpenTelemetry SDK and exporter are not loaded when tracing is off.
        from dwatch.observability import tracing

        provider = tracing.tracer_provider(settings)
        assert provider is not None
        _providers_made = True
        interceptors.append(tracing.interceptor(provider))
    return Instrumentation(runtime=runtime_for(settings), interceptors=interceptors)


def flush() -> None:
    """Export the spans still batched. A process leaving with `os._exit` (the CLI does, see
    `dwatch.cli.orchestration.run_command`) runs no exit handlers, so it calls this first."""
    if _providers_made:
        from dwatch.observability import tracing

        tracing.flush_traces()
