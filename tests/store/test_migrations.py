from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from migration_rows import insert_supervisor_and_agency
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from dwatch.store import migrate
from dwatch.store.database import make_engine
from dwatch.store.tables import Base


def _schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_upgrade_empty_database_to_head_matches_the_models(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    assert migrate.current_revision(engine) == migrate.head_revision() == "0014"
    assert set(inspect(engine).get_table_names()) == {t.name for t in Base.metadata.tables.values()} | {
        "alembic_version"
    }
    engine.dispose()
    assert _schema_differences(empty_url) == []


def test_upgrade_from_the_older_revision_keeps_data_and_adds_links(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0001")
    engine = make_engine(empty_url)
    assert migrate.current_revision(engine) == "0001"
    assert "notifications" not in inspect(engine).get_table_names()
    now = "2024-02-01 08:00:00"
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO supervisors VALUES ('s1', '监督', NULL, '[]', :now, :now)"), {"now": now})
        connection.execute(
            text(
                "INSERT INTO agencies VALUES ('a1', '机关', 'department', '431200', 's1', 'https://a.gov.cn/',"
                " '[]', '[]', NULL, NULL, true, :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO documents (agency_id, report_year, url, version, final_url, http_headers, fetched_at,"
                " last_fetched_at, sha256, media_type, size)"
                " VALUES ('a1', 2023, 'https://a.gov.cn/nb', 1, 'https://a.gov.cn/nb', '{}', :now, :now,"
                " :sha, 'text/html', 10)"
            ),
            {"now": now, "sha": "0" * 64},
        )
    engine.dispose()

    migrate.upgrade(empty_url)

    engine = make_engine(empty_url)
    assert migrate.current_revision(engine) == "0014"
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT url, version, workflow_run_id FROM documents")).all()
        assert [tuple(r) for r in rows] == [("https://a.gov.cn/nb", 1, None)]
        # 0003: agencies registered before keep verifying certificates.
        assert connection.execute(text("SELECT insecure_tls FROM agencies")).scalar_one() in (False, 0)
    # The new link is a real foreign key on both databases.
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE documents SET workflow_run_id = 999"))
    engine.dispose()
    assert _schema_differences(empty_url) == []


def test_upgrade_is_idempotent(db_url: str) -> None:
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    assert migrate.is_current(engine)
    engine.dispose()


def test_upgrade_to_0007_links_earlier_report_runs_and_alerts_to_their_agency_year(empty_url: str) -> None:
    """Rows recorded before 0007 are linked where their ids name the agency-year."""
    migrate.upgrade(empty_url, "0006")
    engine = make_engine(empty_url)
    now = "2024-02-01 08:00:00"
    notification = (
        "INSERT INTO notifications (id, idempotency_key, recipient, channel, target_masked, subject, body, status,"
        " attempts, created_at) VALUES (:id, :key, '省', 'json', 'json://****', '【督办】', '…', 'sent', 1, :now)"
    )
    with engine.begin() as connection:
        insert_supervisor_and_agency(connection, now)
        for pk, workflow_id, kind in [
            (1, "report/a1/2023", "report"),
            (2, "sweep/2023/all/20240201T080000", "sweep"),
            (3, "report/gone/2023", "report"),
        ]:
            connection.execute(
                text(
                    "INSERT INTO workflow_runs (id, workflow_id, run_id, kind, status, started_at)"
                    " VALUES (:pk, :wf, 'r', :kind, 'completed', :now)"
                ),
                {"pk": pk, "wf": workflow_id, "kind": kind, "now": now},
            )
        for pk, key in [
            (1, "escalation/2023:escalation:a1:2023:s0:1:0123456789ab"),
            (2, "report/a1/2023/r/1:resolved:a1:2023:defective:0123456789ab"),
            (3, "digest:sweep/2023/all/20240201T080000:2023:s1:0123456789ab"),
        ]:
            connection.execute(text(notification), {"id": pk, "key": key, "now": now})
    engine.dispose()

    migrate.upgrade(empty_url)

    engine = make_engine(empty_url)
    with engine.begin() as connection:
        runs = connection.execute(text("SELECT * FROM workflow_run_agency_years")).all()
        told = connection.execute(text("SELECT * FROM notification_agency_years ORDER BY 1")).all()
    engine.dispose()
    assert runs == [(1, "a1", 2023)]  # a sweep's agencies are not in its id; an unknown agency is skipped
    assert told == [(1, "a1", 2023), (2, "a1", 2023)]  # a digest's key names its supervisor only


def test_0010_admits_needs_review(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0009")
    engine = make_engine(empty_url)
    now = "2025-02-01 08:00:00"
    with engine.begin() as connection:
        insert_supervisor_and_agency(connection, now)
    insert = text(
        "INSERT INTO agency_status (agency_id, report_year, status, detail, changed_at, checked_at)"
        " VALUES ('a1', :year, :status, '', :now, :now)"
    )
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert, {"year": 2024, "status": "needs_review", "now": now})
    engine.dispose()
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(insert, {"year": 2024, "status": "needs_review", "now": now})
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert, {"year": 2023, "status": "unsure", "now": now})
    engine.dispose()
    assert _schema_differences(empty_url) == []
