"""How times are shown to people: Asia/Shanghai, to the minute; ISO 8601 with offset for machines.

Every user-facing place (web pages, CSV/XLSX exports, inbox, alerts, terminal) formats times here, so
that one office sees one clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dwatch.reports.compliance import CHINA

MISSING = "—"


def local_minute(moment: datetime | None) -> str:
    """`2026-12-07 21:52` in China time; a naive value is taken as UTC (the store keeps UTC)."""
    if moment is None:
        return MISSING
    return _in_china(moment).strftime("%Y-%m-%d %H:%M")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the China offset, for JSON and APIs."""
    return None if moment is None else _in_china(moment).isoformat()


def _in_china(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA)
