"""Logs of the long-running processes (worker, web): text for a terminal, or one JSON object per line
for a log collector. Either way, the Temporal context of the record (workflow id, run id, activity
type, attempt) and the `extra` fields it was logged with (`agency_id`, `year`, …) come along, and
every URL carrying a secret (an apprise target, a webhook with a token) is masked.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from temporalio import activity

from dwatch.observability.settings import ObservabilitySettings
from dwatch.redact import redact_secrets

# The attributes every LogRecord has; anything else on a record came from `extra` (uvicorn's
# `color_message` is its message again, with terminal colours).
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "color_message"}
# Put on records by the SDK's `workflow.logger` and `activity.logger` (dicts of the run's details).
_TEMPORAL_EXTRAS = {"temporal_workflow": "workflow", "temporal_activity": "activity"}
_ORDER = ("workflow_id", "run_id", "workflow_type", "activity_type", "activity_id", "attempt", "task_queue")


def temporal_context(record: logging.LogRecord) -> dict[str, Any]:
    """The workflow or activity a record was logged in: from the SDK's logger adapters, else (a plain
    logger called inside an activity, e.g. by the alerts module) from the running activity."""
    details: dict[str, Any] = {}
    for attribute in _TEMPORAL_EXTRAS:
        value = getattr(record, attribute, None)
        if isinstance(value, dict):
            details.update(value)
    if not details and activity.in_activity():
        info = activity.info()
        details = {
            "activity_id": info.activity_id,
            "activity_type": info.activity_type,
            "attempt": info.attempt,
            "task_queue": info.task_queue,
            "workflow_id": info.workflow_id,
            "workflow_run_id": info.workflow_run_id,
            "workflow_type": info.workflow_type,
        }
    if "workflow_run_id" in details:  # an activity's run is its workflow's run
        details["run_id"] = details.pop("workflow_run_id")
    return {key: details[key] for key in _ORDER if details.get(key) is not None}


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The `extra` fields of a record that have a plain JSON value."""
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and key not in _TEMPORAL_EXTRAS and isinstance(value, str | int | float | bool)
    }


def _clean(value: Any) -> Any:
    return redact_secrets(value) if isinstance(value, str) else value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC, ISO 8601), level, logger, message, the Temporal context
    and the record's extras; `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= temporal_context(record)
        entry |= {k: v for k, v in extras(record).items() if k not in entry}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps({k: _clean(v) for k, v in entry.items()}, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger: message [workflow_id=… activity_type=… agency_id=…]`, secrets masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = temporal_context(record) | extras(record)
        if context:
            fields = " ".join(f"{key}={value}" for key, value in context.items())
            first, newline, rest = text.partition("\n")  # after the message, before a traceback
            text = f"{first} [{fields}]{newline}{rest}"
        return redact_secrets(text)


class _Handler(logging.StreamHandler):
    """The handler `configure_logging` installs (recognised so a second call replaces it)."""


def configure_logging(settings: ObservabilitySettings, stream: TextIO | None = None) -> logging.Handler:
    """Send the root logger's records to `stream` (default: standard error) in the configured format.
    Calling it again replaces the handler it installed before; other handlers are left alone."""
    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(existing)
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # One line per HTTP request of the crawler is noise at INFO (thousands per sweep); failures are
    # reported by the crawler itself.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    return handler
