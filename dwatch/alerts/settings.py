"""Alert settings (`DWATCH_ALERTS__*`): escalation, retries, timeouts, test stand-ins.

Imports nothing of the service: `dwatch.config` imports this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _json_if_text(value: Any) -> Any:
    # Environment variables are text: mappings and lists come as JSON.
    return json.loads(value) if isinstance(value, str) else value


class AlertSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    escalation_days: int = Field(default=14, ge=1, description="missing this many days after the deadline: escalate")
    top_findings: int = Field(default=3, ge=1, description="findings listed per agency in a digest")
    retry_attempts: int = Field(default=3, ge=1, description="delivery attempts per message and target")
    retry_backoff: float = Field(default=2.0, ge=0, description="seconds before the first retry; doubles each time")
    retry_backoff_max: float = Field(default=60.0, ge=0)
    timeout: float = Field(default=10.0, gt=0, description="connect and read timeout per request, seconds")
    timeouts: Annotated[dict[str, float], BeforeValidator(_json_if_text)] = Field(
        default_factory=dict, description="per channel (apprise scheme) overrides of `timeout`"
    )
    request_interval: float | None = Field(
        default=None, ge=0, description="seconds between two requests to one target; default: apprise's"
    )
    max_parallel: int = Field(default=8, ge=1, description="targets delivered to at the same time")
    api_bases: Annotated[dict[str, str], BeforeValidator(_json_if_text)] = Field(
        default_factory=dict,
        description="API base URL per scheme (wecombot, dingtalk, feishu), e.g. a stand-in on loopback",
    )
    config_files: Annotated[list[Path], BeforeValidator(_json_if_text)] = Field(
        default_factory=list, description="apprise YAML/TEXT configurations; tag `supervisor.ID` routes an entry"
    )
    inbox_smtp_port: int = Field(default=0, ge=0, le=65535, description="demo inbox SMTP port; 0: any free port")
    inbox_http_port: int = Field(default=0, ge=0, le=65535, description="demo inbox HTTP port; 0: any free port")
