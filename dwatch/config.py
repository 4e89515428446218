"""Application settings, read from `DWATCH_*` environment variables.

Each top-level field `foo` is read from `DWATCH_FOO`; a nested settings group `bar` (a model with
fields of its own) reads `DWATCH_BAR__FIELD`. Any of them may instead be given as `…_FILE`, the path
of a file holding the value (the Docker and Kubernetes secrets convention), so secrets such as the
database password never sit in the environment. Later parts of the service add their group (Temporal,
web, …) as one more field here, and nothing else changes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dwatch.alerts.settings import AlertSettings
from dwatch.crawlers.models import FetchPolicy
from dwatch.observability.settings import ObservabilitySettings
from dwatch.temporal.settings import TemporalSettings
from dwatch.web.settings import WebSettings

ENV_PREFIX = "DWATCH_"
FILE_SUFFIX = "_FILE"


DEFAULT_DATA_DIR = Path("var")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = Field(description="SQLAlchemy URL; default: a SQLite file in the data directory")
    blob_dir: Path = Field(description="where fetched documents are kept; default: data directory/blobs")
    public_url: str = Field(
        description="the dashboard's address as supervisors reach it: the base of every link in alerts, audits "
        "and exports; default: http://web.host:web.port/ (set it behind a proxy or when serving on 0.0.0.0)"
    )
    crawl: FetchPolicy = Field(default_factory=FetchPolicy, description="politeness and safety of the crawler")
    # Built through validation: its task queues are required fields its validator derives.
    temporal: TemporalSettings = Field(
        default_factory=lambda: TemporalSettings.model_validate({}), description="Temporal service and workers"
    )
    alerts: AlertSettings = Field(default_factory=AlertSettings, description="alerts to supervisors")
    web: WebSettings = Field(default_factory=WebSettings, description="the dashboard and JSON API")
    observability: ObservabilitySettings = Field(
        default_factory=ObservabilitySettings, description="metrics, traces and logs"
    )

    @model_validator(mode="before")
    @classmethod
    def _derive_paths(cls, data: Any) -> Any:
        # Defaults live under the data directory, so one variable moves everything.
        if not isinstance(data, Mapping):
            return data
        values = dict(data)
        data_dir = Path(values.get("data_dir") or DEFAULT_DATA_DIR)
        values.setdefault("database_url", f"sqlite:///{data_dir / 'dwatch.sqlite3'}")
        values.setdefault("blob_dir", data_dir / "blobs")
        if not values.get("public_url"):
            values["public_url"] = _default_public_url(values.get("web"))
        return values

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls.model_validate(_read_env(cls, env, ENV_PREFIX))


# A wildcard bind address is no place to send a browser; the loopback name is, on the same machine.
_WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}


def _default_public_url(web: Any) -> str:
    """Where the dashboard answers, as derived from the web settings (a mapping from the environment or a model)."""
    checked = web if isinstance(web, WebSettings) else WebSettings.model_validate(web or {})
    host = _WILDCARD_HOSTS.get(checked.host, checked.host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{checked.port}"


def _read_env(model: type[BaseModel], env: Mapping[str, str], prefix: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = f"{prefix}{name.upper()}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested = _read_env(annotation, env, f"{key}__")
            if nested:
                values[name] = nested
        elif key in env:
            values[name] = env[key]
        elif f"{key}{FILE_SUFFIX}" in env:
            values[name] = _read_secret_file(f"{key}{FILE_SUFFIX}", Path(env[f"{key}{FILE_SUFFIX}"]))
    return values


def _read_secret_file(key: str, path: Path) -> str:
    try:
        # Secret files usually end with a newline the value never has.
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"{key}: cannot read {path}: {exc.strerror}") from exc
