"""`DWATCH_OBSERVABILITY__*`: read with the other settings, validated, off by default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dwatch.config import Settings


def test_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "DWATCH_OBSERVABILITY__METRICS_ADDRESS": "0.0.0.0:9464",
            "DWATCH_OBSERVABILITY__OTLP_ENDPOINT": "http://collector:4318",
            "DWATCH_OBSERVABILITY__LOG_FORMAT": "json",
            "DWATCH_OBSERVABILITY__LOG_LEVEL": "debug",
            "DWATCH_OBSERVABILITY__SERVICE_NAME": "dwatch-worker",
        }
    ).observability
    assert settings.metrics_address == "0.0.0.0:9464"
    assert settings.otlp_endpoint == "http://collector:4318"
    assert (settings.log_format, settings.log_level, settings.service_name) == ("json", "DEBUG", "dwatch-worker")


def test_off_by_default_and_when_blank() -> None:
    assert Settings.from_env({}).observability.metrics_address is None
    blank = Settings.from_env({"DWATCH_OBSERVABILITY__METRICS_ADDRESS": " ", "DWATCH_OBSERVABILITY__OTLP_ENDPOINT": ""})
    assert blank.observability.metrics_address is None and blank.observability.otlp_endpoint is None
    assert Settings.from_env({}).observability.log_format == "text"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("METRICS_ADDRESS", "9464"),
        ("METRICS_ADDRESS", "http://0.0.0.0:9464"),
        ("OTLP_ENDPOINT", "collector:4318"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_malformed_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError):
        Settings.from_env({f"DWATCH_OBSERVABILITY__{name}": value})


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate({"observability": {"metrics_port": 9464}})
