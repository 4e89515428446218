"""`dwatch demo` run twice on one data directory: the second run re-checks everything (the site farm on
another port, so every registry entry and document URL changes) and finds nothing new, so it archives
no second copy of an unchanged report and tells the supervisors nothing twice."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from dwatch.reports.compliance import CHINA
from sqlalchemy import func, select
from temporal_support import DWATCH, store_session

from dwatch.alerts.inbox import InboxMessage, read_inbox
from dwatch.config import Settings
from dwatch.demo.inbox import arrived_twice
from dwatch.store.tables import Agency, Document, Notification

AGENCIES = 12  # compliant, defective, late, missing (escalated) and unreachable ones


def _demo(data_dir: Path) -> None:
    run = subprocess.run(
        [DWATCH, "demo", "--agencies", str(AGENCIES)],
        env=os.environ | {"DWATCH_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def _state(settings: Settings) -> tuple[list[tuple[str, int, int, str]], set[int], list[str], list[InboxMessage]]:
    """(agency, year, version, sha256) of every document; the ports the farm was registered at; the
    idempotency keys of the notifications sent; what arrived in the inbox."""
    with store_session(settings) as session:
        documents = session.execute(
            select(Document.agency_id, Document.report_year, Document.version, Document.sha256).order_by(
                Document.agency_id, Document.report_year, Document.version
            )
        ).all()
        ports = {urlsplit(urls[0]).port for urls in session.scalars(select(Agency.listing_urls))}
        sent = session.scalars(
            select(Notification.idempotency_key).where(Notification.status == "sent").order_by(Notification.id)
        ).all()
        assert session.scalar(select(func.count()).select_from(Notification).where(Notification.status != "sent")) == 0
    return [tuple(d) for d in documents], {p for p in ports if p}, list(sent), read_inbox(settings.data_dir)


def test_running_the_demo_again_archives_and_alerts_nothing_new(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var" / "demo")
    day = datetime.now(CHINA).date()

    _demo(tmp_path / "var")
    documents, ports, sent, arrived = _state(settings)
    assert documents and arrived
    assert any(m.subject.startswith("【督办】") for m in arrived)
    assert any("检查汇总" in m.subject for m in arrived)

    _demo(tmp_path / "var")
    again, other_ports, sent_again, arrived_again = _state(settings)

    assert other_ports.isdisjoint(ports)  # the farm listened on another port
    # One version per agency-year: the same bytes at the new URL are the version archived before.
    assert again == documents
    assert len({(agency, year, sha) for agency, year, _, sha in again}) == len(again)
    if datetime.now(CHINA).date() != day:
        pytest.skip("the runs straddled midnight in China: the second run's digest is the next day's")
    # No escalation, digest or alert about the unchanged state again: nothing sent, nothing arrived.
    assert sent_again == sent
    assert arrived_again == arrived and not arrived_twice(arrived_again)
