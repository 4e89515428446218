"""Rows written with SQL into a database at an older revision, for the migration tests."""

from __future__ import annotations

from sqlalchemy import Connection, text

AGENCY_ID = "a1"


def insert_supervisor_and_agency(connection: Connection, now: str) -> None:
    """Supervisor s1 and its agency a1, in the columns every revision since 0003 has."""
    connection.execute(text("INSERT INTO supervisors VALUES ('s1', '监督', NULL, '[]', :now, :now)"), {"now": now})
    connection.execute(
        text(
            "INSERT INTO agencies (id, name, kind, region_code, supervisor_id, base_url, listing_urls,"
            " allowed_hosts, active, insecure_tls, created_at, updated_at) VALUES ('a1', '机关', 'department',"
            " '431200', 's1', 'https://a.gov.cn/', '[]', '[]', true, false, :now, :now)"
        ),
        {"now": now},
    )
