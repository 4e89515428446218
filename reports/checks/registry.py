"""Check kinds: the code that implements rules.

A kind is a function registered under a name with the model of its parameters and the message
cases it can report. The catalogue binds each rule to one or more kinds; the kind receives a
`RuleRun` and reports through `RuleRun.emit`, which renders the rule's message for the case and
builds the finding. Kinds never hard-code rule ids, severities or message texts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from dwatch.reports.checks.findings import CheckContext, Finding, TextSpan, fingerprint
from dwatch.reports.checks.text import Compact
from dwatch.reports.compliance import AgencyKind, KindSource
from dwatch.reports.model import AnnualReport, Location
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from dwatch.reports.checks.catalogue import Rule


class Params(BaseModel):
    """Base of every kind's parameter model: unknown keys in the catalogue are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=Params)


@dataclass(frozen=True)
class Kind:
    name: str
    params: type[Params]
    cases: frozenset[str]
    run: Callable[[RuleRun, Any], None]


KINDS: dict[str, Kind] = {}


def kind(
    name: str, params: type[P], cases: tuple[str, ...]
) -> Callable[[Callable[[RuleRun, P], None]], Callable[[RuleRun, P], None]]:
    def register(fn: Callable[[RuleRun, P], None]) -> Callable[[RuleRun, P], None]:
        KINDS[name] = Kind(name, params, frozenset(cases), fn)
        return fn

    return register


@dataclass
class Subject:
    """What is being checked, with the context resolved (context first, else the report)."""

    report: AnnualReport
    previous: AnnualReport | None
    context: CheckContext
    year: int | None
    agency_kind: AgencyKind
    agency_kind_source: KindSource = "given"  # only a given kind is certain
    _compact: dict[str, Compact] = field(default_factory=dict)

    def section_text(self, section_id: str) -> str:
        section = self.report.section(section_id)
        return section.text if section is not None and section.found else ""

    def compact(self, section_id: str) -> Compact:
        """The section's text without white space (PDF text spaces digits apart), cached per run."""
        if section_id not in self._compact:
            self._compact[section_id] = Compact(self.section_text(section_id))
        return self._compact[section_id]

    @cached_property
    def agency(self) -> str | None:
        return self.context.agency_name or self.report.agency


@dataclass
class RuleRun:
    """One rule applied to one subject: collects the rule's findings."""

    rule: Rule
    version: str
    subject: Subject
    findings: list[Finding]

    def emit(
        self,
        case: str,
        *,
        location: Location,
        evidence: str = "",
        key: Any = None,
        span: tuple[int, int] | None = None,
        **arguments: Any,
    ) -> None:
        message = self.rule.messages[case]
        zh, en = self.rule.render(case, arguments)
        self.findings.append(
            Finding(
                rule_id=self.rule.id,
                catalogue_version=self.version,
                severity=message.severity or self.rule.severity,
                category=self.rule.category,
                message_zh=zh,
                message_en=en,
                arguments={"case": case, **arguments},
                location=location,
                evidence=evidence,
                span=TextSpan(start=span[0], end=span[1]) if span else None,
                fingerprint=fingerprint(
                    self.rule.id, self.subject.agency, self.subject.year, location, key=[case, key]
                ),
            )
        )
