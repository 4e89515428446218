"""The rule catalogue: complete against spec §6, versioned, and validated when loaded."""

from __future__ import annotations

import re
from importlib import resources

import pytest
import yaml
from dwatch.reports.checks import CATALOGUE
from dwatch.reports.checks.catalogue import load
from dwatch.reports.checks.registry import KINDS
from pydantic import ValidationError

SPEC_IDS = (
    [f"STR-0{i}" for i in range(1, 7)]
    + [f"T2-0{i}" for i in range(1, 5)]
    + [f"T3-0{i}" for i in range(1, 7)]
    + ["T4-01", "FMT-OLD", "X-01", "X-02", "N-01", "N-02", "S5-01", "S6-01", "TIME-01", "ART-01", "ACC-01", "IMG-01"]
)


def _raw() -> dict:
    return yaml.safe_load(
        resources.files("dwatch.reports.checks").joinpath("catalogue.yaml").read_text(encoding="utf-8")
    )


def test_every_spec_rule_is_catalogued_with_a_version() -> None:
    ids = {r.id for r in CATALOGUE.rules}
    assert set(SPEC_IDS) <= ids
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", CATALOGUE.version)


@pytest.mark.parametrize(
    ("rule_id", "severity"),
    [("STR-01", "error"), ("STR-02", "warning"), ("T3-02", "error"), ("X-02", "warning"), ("ART-01", "info")],
)
def test_severities_follow_the_spec(rule_id: str, severity: str) -> None:
    assert CATALOGUE.rule(rule_id).severity.value == severity


def test_every_kind_is_used_by_some_rule() -> None:
    used = {spec.kind for rule in CATALOGUE.rules for spec in rule.checks}
    assert used == set(KINDS)


def test_unknown_kind_is_rejected() -> None:
    raw = _raw()
    raw["rules"][0]["checks"] = [{"kind": "no_such_kind"}]
    with pytest.raises(ValidationError, match="unknown check kind"):
        load(yaml.safe_dump(raw, allow_unicode=True))


def test_messages_must_match_the_cases_of_the_kinds() -> None:
    raw = _raw()
    del raw["rules"][0]["messages"]["missing"]
    with pytest.raises(ValidationError, match="messages must cover exactly the cases"):
        load(yaml.safe_dump(raw, allow_unicode=True))


def test_parameters_are_validated_against_the_kind() -> None:
    raw = _raw()
    rule = next(r for r in raw["rules"] if r["id"] == "X-02")
    rule["checks"][0]["params"]["threshhold"] = 0.5
    with pytest.raises(ValidationError, match="threshhold"):
        load(yaml.safe_dump(raw, allow_unicode=True))


def test_duplicate_ids_are_rejected() -> None:
    raw = _raw()
    raw["rules"].append(raw["rules"][0])
    with pytest.raises(ValidationError, match="duplicate rule ids"):
        load(yaml.safe_dump(raw, allow_unicode=True))
