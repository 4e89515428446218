"""Links to the dashboard as supervisors reach it (`Settings.public_url`): one place builds them for the
alerts, the audit and the exports, so they always agree with where the dashboard serves."""

from __future__ import annotations

from urllib.parse import quote

from dwatch.config import Settings


def dashboard_url(settings: Settings, year: int | None = None) -> str:
    base = settings.public_url.rstrip("/")
    return f"{base}/" if year is None else f"{base}/?year={year}"


def dossier_url(settings: Settings, agency_id: str, year: int) -> str:
    """The agency-year's dossier page."""
    return f"{settings.public_url.rstrip('/')}/agencies/{quote(agency_id, safe='')}/{year}"
