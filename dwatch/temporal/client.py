"""A Temporal client from settings: the address and namespace, TLS / mTLS or an API key, pydantic payloads;
for a worker process, its metrics runtime and tracing interceptor as well."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig

from dwatch.observability.runtime import Instrumentation
from dwatch.temporal.settings import TemporalSettings


def tls_config(settings: TemporalSettings) -> TLSConfig | bool:
    if not settings.tls:
        return False
    return TLSConfig(
        server_root_ca_cert=settings.tls_ca.read_bytes() if settings.tls_ca else None,
        client_cert=settings.tls_cert.read_bytes() if settings.tls_cert else None,
        client_private_key=settings.tls_key.read_bytes() if settings.tls_key else None,
    )


async def connect(settings: TemporalSettings, instrumented: Instrumentation | None = None) -> Client:
    """A worker process passes `dwatch.observability.runtime.instrumentation(…)`: its client then serves
    /metrics (if configured) and traces what its workers run (client interceptors reach them). A CLI
    command passes none: the SDK's default runtime, no port bound."""
    instrumented = instrumented or Instrumentation()
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        tls=tls_config(settings),
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        data_converter=pydantic_data_converter,
        interceptors=instrumented.interceptors,
        runtime=instrumented.runtime,
    )
