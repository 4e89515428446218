"""Observability settings (`DWATCH_OBSERVABILITY__*`). Imports nothing of the service: `dwatch.config` imports it."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$")


class ObservabilitySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    metrics_address: str | None = Field(
        default=None,
        description="host:port where worker processes serve Prometheus /metrics (e.g. 0.0.0.0:9464); unset: no metrics",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP base URL of the trace collector (e.g. http://127.0.0.1:4318); unset: no tracing",
    )
    log_format: Literal["text", "json"] = Field(default="text", description="json: one JSON object per line")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    service_name: str = Field(default="dwatch", min_length=1, description="service name on traces and metrics")

    @field_validator("metrics_address", "otlp_endpoint", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("metrics_address")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is not None and not _HOST_PORT.match(value):
            raise ValueError(f"expected host:port, got {value!r}")
        return value

    @field_validator("otlp_endpoint")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value
