"""The local ops backend runs a pass the way the AgencyReport workflow does, alerts included: a re-crawl
that finds a defective report alerts the supervisor (once: a re-crawl finding the same sends nothing),
and a sweep ends with the supervisors' digest. The supervisors are notified at the demo inbox, a real
webhook receiver on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import PASSWORD, YEAR, agency_with, bearer, web_settings

from dwatch.alerts.inbox import InboxMessage, read_inbox
from dwatch.config import Settings
from dwatch.demo.inbox import Inbox
from dwatch.demo.registry import import_demo
from dwatch.ops import OpsResult
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.store.tables import Notification
from dwatch.store.users import save_user
from dwatch.web.app import create_app
from dwatch.web.backends import LocalOps
from dwatch.web.security import hash_password


@dataclass
class Office:
    settings: Settings
    store: Store

    def webhooks(self) -> list[InboxMessage]:
        return [m for m in read_inbox(self.settings.data_dir) if m.channel == "webhook"]

    def sent(self) -> list[str]:
        with self.store.session() as session:
            return list(session.scalars(select(Notification.idempotency_key).where(Notification.status == "sent")))


@pytest.fixture
def office(farm: Farm, tmp_path: Path) -> Iterator[Office]:
    """The farm registered under the demo supervisors, notified at a running inbox; nothing checked yet."""
    settings = web_settings(tmp_path / "data")
    settings.data_dir.mkdir()
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    with Inbox(settings.data_dir) as inbox:
        import_demo(store, farm, [f"json://127.0.0.1:{inbox.http_port}/inbox"])
        with store.session() as session:
            save_user(session, "ops", hash_password(PASSWORD), ["ops"])
        yield Office(settings, store)
    store.close()


def test_recrawl_of_a_defective_report_alerts_the_supervisor_once(office: Office, farm: Farm) -> None:
    agency = agency_with(farm, Scenario.DEFECTIVE)
    body = {"agency_id": agency, "year": YEAR}
    with TestClient(create_app(office.settings, office.store, LocalOps(office.settings, office.store))) as client:
        ops = bearer(client, "ops")
        first = client.post("/api/v1/ops/recrawl", json=body, headers=ops)
        assert first.status_code == 200, first.text
        result = OpsResult.model_validate(first.json())
        assert result.status == "defective"
        alerted = office.webhooks()
        assert len(alerted) == 1 and agency in alerted[0].body
        assert [k.split(":")[:4] for k in office.sent()] == [
            [f"{result.workflow_id}/{result.run_id}", "immediate", agency, str(YEAR)]
        ]
        # Still defective, nothing new to tell.
        again = client.post("/api/v1/ops/recrawl", json=body, headers=ops)
        assert again.json()["status"] == "defective"
    assert len(office.webhooks()) == 1


def test_sweep_ends_with_the_digest(office: Office, farm: Farm) -> None:
    agencies = [agency_with(farm, Scenario.COMPLIANT), agency_with(farm, Scenario.DEFECTIVE)]
    with TestClient(create_app(office.settings, office.store, LocalOps(office.settings, office.store))) as client:
        started = client.post(
            "/api/v1/ops/sweeps", json={"year": YEAR, "agency_ids": agencies}, headers=bearer(client, "ops")
        )
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 60
        while not any(k.startswith(f"digest:{YEAR}:") for k in office.sent()):
            assert time.monotonic() < deadline, "no digest after the sweep"
            time.sleep(0.2)
    kinds = sorted(k.split(":")[1] for k in office.sent() if not k.startswith("digest:"))
    assert kinds == ["immediate"]  # the defective agency, alerted in its pass before the digest
