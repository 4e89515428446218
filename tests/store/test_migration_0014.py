"""Revision 0014: the agency-year status gains the crawl failure's technical detail; rows before it keep
theirs, with no detail."""

from __future__ import annotations

from alembic import command
from migration_rows import AGENCY_ID, insert_supervisor_and_agency
from sqlalchemy import inspect, text

from dwatch.store import migrate
from dwatch.store.database import make_engine

_NOW = "2025-02-01 08:00:00"


def test_upgrade_adds_an_empty_failure_detail_and_downgrade_drops_it(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0013")
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        insert_supervisor_and_agency(connection, _NOW)
        connection.execute(
            text(
                "INSERT INTO agency_status (agency_id, report_year, status, detail, changed_at, checked_at)"
                " VALUES (:agency, 2024, 'unreachable', '连接被拒绝', :now, :now)"
            ),
            {"agency": AGENCY_ID, "now": _NOW},
        )
    engine.dispose()

    migrate.upgrade(empty_url, "0014")

    engine = make_engine(empty_url)
    with engine.begin() as connection:
        row = connection.execute(text("SELECT status, detail, failure_detail FROM agency_status")).one()
        assert tuple(row) == ("unreachable", "连接被拒绝", None)
        connection.execute(text("UPDATE agency_status SET failure_detail = 'ConnectError: refused'"))
    engine.dispose()

    engine = make_engine(empty_url, sqlite_foreign_keys=False)  # as `migrate.upgrade` runs batch copies
    command.downgrade(migrate.alembic_config(engine), "0013")
    assert "failure_detail" not in {c["name"] for c in inspect(engine).get_columns("agency_status")}
    with engine.begin() as connection:
        assert connection.execute(text("SELECT status, detail FROM agency_status")).one() == (
            "unreachable",
            "连接被拒绝",
        )
    engine.dispose()
