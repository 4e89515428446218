"""Findings as a SARIF 2.1.0 log, for code-scanning style viewers and CI annotations."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from dwatch.reports.checks.catalogue import CATALOGUE, Catalogue
from dwatch.reports.checks.findings import Finding, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_LOGICAL_KINDS = (("section", "section"), ("table", "table"), ("row", "row"), ("column", "column"))


def _logical_locations(finding: Finding) -> list[dict[str, str]]:
    path: list[str] = []
    result = []
    for field, kind in _LOGICAL_KINDS:
        name = getattr(finding.location, field)
        if name:
            path.append(name)
            result.append({"name": name, "kind": kind, "fullyQualifiedName": "/".join(path)})
    return result


def _location(finding: Finding, uri: str) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if finding.location.line:
        physical["region"] = {"startLine": finding.location.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    logical = _logical_locations(finding)
    if logical:
        location["logicalLocations"] = logical
    return location


def to_sarif(findings: list[Finding], document: str, catalogue: Catalogue = CATALOGUE) -> dict[str, Any]:
    """A SARIF log with one run; `document` is the checked file's path or URL."""
    uri = quote(document, safe="/:.-_~")
    rules = [
        {
            "id": rule.id,
            "name": rule.id,
            "shortDescription": {"text": rule.title.zh},
            "fullDescription": {"text": f"{rule.title.en}. 依据：{rule.basis}"},
            "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            "properties": {"category": rule.category.value, "basis": rule.basis},
            **({"helpUri": rule.help_uri} if rule.help_uri else {}),
        }
        for rule in catalogue.rules
    ]
    index = {rule.id: i for i, rule in enumerate(catalogue.rules)}
    results = [
        {
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": _LEVEL[f.severity],
            "message": {"text": f.message_zh},
            "locations": [_location(f, uri)],
            "partialFingerprints": {"dwatchFingerprint/v1": f.fingerprint},
            "properties": {
                "category": f.category.value,
                "messageEn": f.message_en,
                "arguments": f.arguments,
                "evidence": f.evidence,
                **({"page": f.location.page} if f.location.page else {}),
            },
        }
        for f in findings
    ]
    driver = {
        "name": "Disclosure Watch",
        "version": catalogue.version,
        "semanticVersion": catalogue.version,
        "rules": rules,
    }
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "artifacts": [{"location": {"uri": uri}}], "results": results}],
    }
