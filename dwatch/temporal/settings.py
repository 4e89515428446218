"""Temporal settings (`DWATCH_TEMPORAL__*`). Imports nothing of the service: `dwatch.config` imports it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class TemporalSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str = Field(default="127.0.0.1:7233", description="host:port of the Temporal frontend")
    namespace: str = "default"
    task_queue: str = Field(default="dwatch", description="workflows and their store and alert activities")
    crawl_task_queue: str = Field(description="crawl activities (I/O-bound); default: task queue + `-crawl`")
    review_task_queue: str = Field(
        description="parse and check activities (CPU-bound); default: task queue + `-review`"
    )
    tls_cert: Path | None = Field(default=None, description="client certificate (mTLS)")
    tls_key: Path | None = Field(default=None, description="client private key (mTLS)")
    tls_ca: Path | None = Field(
        default=None, description="server CA; TLS is on when any TLS path or the API key is set"
    )
    api_key: SecretStr | None = Field(default=None, description="Temporal Cloud API key")
    ui_url: str = Field(default="http://127.0.0.1:8233", description="Temporal UI, for links in audits")
    dev_db_file: Path | None = Field(
        default=None, description="`dwatch up` dev-server database; default: data directory/temporal.sqlite"
    )
    schedules_refresh: float = Field(
        default=900,
        gt=0,
        description="seconds between re-applying the deadline schedules from the registry (`dwatch up` and "
        "workflows workers), so a deadline changed in the registry reaches them",
    )
    sweep_window: int = Field(default=50, ge=1, description="agencies of a sweep in progress at once")
    heartbeat_timeout: float = Field(default=20, gt=0, description="seconds: a silent activity is retried elsewhere")
    review_processes: int = Field(
        default=0, ge=0, description="processes parsing and checking reports; 0: threads of the worker process"
    )
    max_activities: int = Field(default=64, ge=1, description="concurrent activities per worker")
    workflow_sandbox: bool = Field(
        default=False,
        description="run workflow code in Temporal's sandbox (it imports the workflow modules anew for every run: "
        "a tenth of a sweep's worker time); the replay tests run every recorded history in it either way",
    )
    max_cached_workflows: int = Field(
        default=1000, ge=0, description="workflows kept in a worker's memory between tasks; 0: replay every task"
    )

    @model_validator(mode="before")
    @classmethod
    def _derive_queues(cls, data: Any) -> Any:
        # Named after the main queue by default, so one variable separates two deployments.
        if not isinstance(data, Mapping):
            return data
        values = dict(data)
        queue = values.get("task_queue") or "dwatch"
        values.setdefault("crawl_task_queue", f"{queue}-crawl")
        values.setdefault("review_task_queue", f"{queue}-review")
        return values

    @property
    def tls(self) -> bool:
        return any((self.tls_cert, self.tls_key, self.tls_ca, self.api_key))
