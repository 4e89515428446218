"""The rule catalogue (catalogue.yaml), loaded and validated once at import.

Validation binds every rule to its check kinds: the kind must exist, its parameters must fit the
kind's model, and the rule must define a message for exactly the cases its kinds can report, with
well-formed templates. A broken catalogue therefore fails at import, not in the middle of a check.
"""

from __future__ import annotations

import string
from importlib import resources
from typing import Any

import yaml

# Imported for their side effect of registering the check kinds.
from dwatch.reports.checks import (  # noqa: F401
    content,
    crossyear,
    narrative,
    provenance,
    readability,
    structure,
    tables,
    timeliness,
)
from dwatch.reports.checks.findings import Category, Severity
from dwatch.reports.checks.registry import KINDS, Kind, Params
from dwatch.reports.compliance import AgencyKind
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    zh: str
    en: str


class Message(Text):
    severity: Severity | None = Field(default=None, description="overrides the rule's severity for this case")


class Applicability(_Strict):
    min_year: int | None = None
    max_year: int | None = None
    agency_kinds: tuple[AgencyKind, ...] = ("department", "government")

    def covers(self, year: int | None, agency_kind: AgencyKind) -> bool:
        if agency_kind not in self.agency_kinds:
            return False
        if year is None:  # an unknown year does not exempt a report from the current rules
            return True
        return (self.min_year is None or year >= self.min_year) and (self.max_year is None or year <= self.max_year)


class CheckSpec(_Strict):
    kind: str
    params: dict[str, Any] = Field(default_factory=dict)


_FORMATTER = string.Formatter()


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in _FORMATTER.parse(template) if field is not None}


def _display(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.6f}".rstrip("0")
    if isinstance(value, list | tuple):
        return "、".join(_display(v) for v in value)
    return str(value)


class Rule(_Strict):
    id: str = Field(pattern=r"^[A-Z]+[0-9]?-(?:[0-9]{2}|[A-Z]+)$")
    severity: Severity
    category: Category
    basis: str
    title: Text
    applies: Applicability = Field(default_factory=Applicability)
    checks: tuple[CheckSpec, ...] = Field(min_length=1)
    messages: dict[str, Message]
    help_uri: str | None = None
    _bound: list[tuple[Kind, Params]] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _bind(self) -> Rule:
        cases: set[str] = set()
        for spec in self.checks:
            if spec.kind not in KINDS:
                raise ValueError(f"{self.id}: unknown check kind {spec.kind!r}")
            check_kind = KINDS[spec.kind]
            self._bound.append((check_kind, check_kind.params.model_validate(spec.params)))
            cases |= check_kind.cases
        if set(self.messages) != cases:
            raise ValueError(
                f"{self.id}: messages must cover exactly the cases {sorted(cases)}, got {sorted(self.messages)}"
            )
        for message in self.messages.values():
            for template in (message.zh, message.en):
                _placeholders(template)  # raises ValueError when malformed
        return self

    @property
    def bound_checks(self) -> list[tuple[Kind, Params]]:
        return self._bound

    def render(self, case: str, arguments: dict[str, Any]) -> tuple[str, str]:
        """The zh and en messages for `case`, prefixed with the rule id."""
        message = self.messages[case]
        shown = {name: _display(value) for name, value in arguments.items()}
        return f"{self.id} {message.zh.format_map(shown)}", f"{self.id} {message.en.format_map(shown)}"


class Catalogue(_Strict):
    version: str = Field(pattern=r"^\d{4}\.\d{1,2}\.\d+$")
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        ids = [r.id for r in self.rules]
        duplicates = {i for i in ids if ids.count(i) > 1}
        if duplicates:
            raise ValueError(f"duplicate rule ids: {sorted(duplicates)}")
        return self

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def load(text: str) -> Catalogue:
    return Catalogue.model_validate(yaml.safe_load(text))


CATALOGUE = load(resources.files("dwatch.reports.checks").joinpath("catalogue.yaml").read_text(encoding="utf-8"))
