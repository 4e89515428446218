"""Which targets of a supervisor receive an alert, chosen by the tags on each apprise URL.

Tags with a dimension restrict a target; other tags (`email`, `值班`) are labels only:
- `kind.digest`, `kind.immediate`, `kind.resolved`, `kind.escalation`: only these kinds of alert;
- `severity.warning`, `severity.error`: only alerts at least this severe;
- `region.4312`: only alerts about agencies whose region code starts with 4312.
A target without such tags receives every alert of its supervisor. Entries of apprise YAML/TEXT
configuration files (`alerts.config_files`) join the registry's targets of the supervisor named by
their tag `supervisor.ID`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path

from apprise import AppriseConfig
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.alerts.plugins import register_plugins
from dwatch.store.registry.models import NotifyTarget, SupervisorRow
from dwatch.store.tables import Supervisor

SUPERVISOR_TAG = "supervisor."


class AlertKind(StrEnum):
    DIGEST = "digest"
    IMMEDIATE = "immediate"
    RESOLVED = "resolved"
    ESCALATION = "escalation"
    TEST = "test"


class AlertSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return list(AlertSeverity).index(self)


_SEVERITIES = frozenset(s.value for s in AlertSeverity)


class AlertScope(BaseModel):
    """What routing looks at: the kind of alert, how severe, which regions it concerns."""

    model_config = ConfigDict(frozen=True)

    kind: AlertKind
    severity: AlertSeverity
    regions: frozenset[str] = frozenset()


def _values(tags: Iterable[str], dimension: str) -> list[str]:
    prefix = f"{dimension}."
    return [t[len(prefix) :] for t in tags if t.startswith(prefix)]


def accepts(tags: Sequence[str], scope: AlertScope) -> bool:
    """Whether a target with these tags receives an alert of this scope."""
    kinds = _values(tags, "kind")
    if kinds and scope.kind.value not in kinds:
        return False
    severities = [AlertSeverity(s) for s in _values(tags, "severity") if s in _SEVERITIES]
    if severities and scope.severity.rank < min(s.rank for s in severities):
        return False
    regions = _values(tags, "region")
    return not regions or any(code.startswith(prefix) for code in scope.regions for prefix in regions)


def targets_for(supervisor: SupervisorRow, scope: AlertScope) -> list[NotifyTarget]:
    return [t for t in supervisor.notify if accepts(t.tags, scope)]


def load_supervisors(session: Session, config_files: Sequence[Path] = ()) -> dict[str, SupervisorRow]:
    """Every supervisor with its targets: the registry's, then those of the configuration files."""
    extra = configured_targets(config_files)
    return {
        s.id: SupervisorRow.model_validate(
            {"id": s.id, "name": s.name, "parent": s.parent_id, "notify": [*s.notify, *extra.get(s.id.lower(), [])]}
        )
        for s in session.scalars(select(Supervisor).order_by(Supervisor.id))
    }


def configured_targets(config_files: Sequence[Path]) -> dict[str, list[dict[str, object]]]:
    """Targets of apprise configuration files, by the supervisor their `supervisor.ID` tag names
    (apprise lowercases tags: the ids here are lowercase)."""
    if not config_files:
        return {}
    register_plugins()
    config = AppriseConfig()
    for path in config_files:
        config.add(str(path))
    found: dict[str, list[dict[str, object]]] = {}
    for server in config.services():
        tags = sorted(str(tag) for tag in server.tags)
        for tag in tags:
            if tag.startswith(SUPERVISOR_TAG):
                found.setdefault(tag[len(SUPERVISOR_TAG) :], []).append({"url": server.url(), "tags": tags})
    return found
