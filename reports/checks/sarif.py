"""Findings as a SARIF 2.1.0 log, for code-scanning style viewers and CI annotations.

The log's shape is typed (the TypedDicts below, the subset of SARIF 2.1.0 this writes), so what goes
out is checked against the format's field names and nesting.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict
from urllib.parse import quote

from dwatch.reports.checks.catalogue import CATALOGUE, Catalogue, Rule
from dwatch.reports.checks.findings import Finding, Severity
from dwatch.reports.compliance import ResolvedKind

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_LOGICAL_KINDS = (("section", "section"), ("table", "table"), ("row", "row"), ("column", "column"))


class Message(TypedDict):
    text: str


class ArtifactLocation(TypedDict):
    uri: str


class Region(TypedDict):
    startLine: int


class PhysicalLocation(TypedDict):
    artifactLocation: ArtifactLocation
    region: NotRequired[Region]


class LogicalLocation(TypedDict):
    name: str
    kind: str
    fullyQualifiedName: str


class Location(TypedDict):
    physicalLocation: PhysicalLocation
    logicalLocations: NotRequired[list[LogicalLocation]]


class ReportingConfiguration(TypedDict):
    level: str


class RuleProperties(TypedDict):
    category: str
    basis: str


class ReportingDescriptor(TypedDict):
    """A rule of the catalogue."""

    id: str
    name: str
    shortDescription: Message
    fullDescription: Message
    defaultConfiguration: ReportingConfiguration
    properties: RuleProperties
    helpUri: NotRequired[str]


class ResultProperties(TypedDict):
    category: str
    messageEn: str
    arguments: dict[str, Any]
    evidence: str
    page: NotRequired[int]


class Result(TypedDict):
    """A finding."""

    ruleId: str
    ruleIndex: int
    level: str
    message: Message
    locations: list[Location]
    partialFingerprints: dict[str, str]
    properties: ResultProperties


class ToolComponent(TypedDict):
    name: str
    version: str
    semanticVersion: str
    rules: list[ReportingDescriptor]


class Tool(TypedDict):
    driver: ToolComponent


class Artifact(TypedDict):
    location: ArtifactLocation


class RunProperties(TypedDict):
    agencyKind: str
    agencyKindSource: str  # given, inferred (from the agency's name) or assumed


class Run(TypedDict):
    tool: Tool
    artifacts: list[Artifact]
    results: list[Result]
    properties: NotRequired[RunProperties]


# "$schema" is no identifier: the functional form.
SarifLog = TypedDict("SarifLog", {"$schema": str, "version": str, "runs": list[Run]})


def _logical_locations(finding: Finding) -> list[LogicalLocation]:
    path: list[str] = []
    result: list[LogicalLocation] = []
    for field, kind in _LOGICAL_KINDS:
        name = getattr(finding.location, field)
        if name:
            path.append(name)
            result.append({"name": name, "kind": kind, "fullyQualifiedName": "/".join(path)})
    return result


def _location(finding: Finding, uri: str) -> Location:
    physical: PhysicalLocation = {"artifactLocation": {"uri": uri}}
    if finding.location.line:
        physical["region"] = {"startLine": finding.location.line}
    location: Location = {"physicalLocation": physical}
    logical = _logical_locations(finding)
    if logical:
        location["logicalLocations"] = logical
    return location


def _rule(rule: Rule) -> ReportingDescriptor:
    descriptor: ReportingDescriptor = {
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.title.zh},
        "fullDescription": {"text": f"{rule.title.en}. 依据：{rule.basis}"},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"category": rule.category.value, "basis": rule.basis},
    }
    if rule.help_uri:
        descriptor["helpUri"] = rule.help_uri
    return descriptor


def _result(finding: Finding, index: dict[str, int], uri: str) -> Result:
    properties: ResultProperties = {
        "category": finding.category.value,
        "messageEn": finding.message_en,
        "arguments": finding.arguments,
        "evidence": finding.evidence,
    }
    if finding.location.page:
        properties["page"] = finding.location.page
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message_zh},
        "locations": [_location(finding, uri)],
        "partialFingerprints": {"dwatchFingerprint/v1": finding.fingerprint},
        "properties": properties,
    }


def to_sarif(
    findings: list[Finding], document: str, catalogue: Catalogue = CATALOGUE, *, agency_kind: ResolvedKind | None = None
) -> SarifLog:
    """A SARIF log with one run; `document` is the checked file's path or URL, `agency_kind` the kind the
    checks applied and how it was known (recorded in the run's properties)."""
    uri = quote(document, safe="/:.-_~")
    index = {rule.id: i for i, rule in enumerate(catalogue.rules)}
    driver: ToolComponent = {
        "name": "Disclosure Watch",
        "version": catalogue.version,
        "semanticVersion": catalogue.version,
        "rules": [_rule(rule) for rule in catalogue.rules],
    }
    run: Run = {
        "tool": {"driver": driver},
        "artifacts": [{"location": {"uri": uri}}],
        "results": [_result(f, index, uri) for f in findings],
    }
    if agency_kind is not None:
        run["properties"] = {"agencyKind": agency_kind.kind, "agencyKindSource": agency_kind.source}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
