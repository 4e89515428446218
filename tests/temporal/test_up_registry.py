"""`dwatch up` on an office's own registry (imported with `dwatch registry import`, not the demo's):
the latest due year is swept at once with the configured politeness, statuses are recorded, the
deadline schedules are installed, the links in the alerts reach the dashboard, and Ctrl-C closes
every port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
import yaml
from dwatch.demo.sitefarm import Farm, plan
from dwatch.demo.sitefarm.plan import Scenario
from sqlalchemy import select
from temporal_support import DWATCH, YEAR, UntilCtrlC, store_session

from dwatch.alerts.inbox import read_inbox
from dwatch.config import Settings
from dwatch.demo.inbox import Inbox
from dwatch.store.tables import AgencyStatus
from dwatch.temporal.devserver import free_port

SCENARIOS = [Scenario.COMPLIANT, Scenario.DEFECTIVE, Scenario.MISSING]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _statuses(settings: Settings) -> dict[str, str]:
    try:
        with store_session(settings) as session:
            rows = session.execute(select(AgencyStatus.agency_id, AgencyStatus.status)).all()
    except Exception:  # the schema is being created by `up`
        return {}
    return {str(agency): str(status) for agency, status in rows}


def _office_registry(farm: Farm, inbox: Inbox) -> dict[str, object]:
    """The farm's sites under an office's own supervisors, as a registry file an office would write."""
    registry = farm.registry("shi-gwb", [{"url": url} for url in inbox.urls()])
    supervisors = registry["supervisors"]
    supervisors[0] |= {"name": "某市政务公开办", "parent": "sheng-gwb"}
    supervisors.append({"id": "sheng-gwb", "name": "某省政务公开办", "notify": [{"url": inbox.urls()[1]}]})
    return registry


def test_up_runs_the_main_job_on_the_offices_registry(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    port, ui, web = free_port(), free_port(), free_port()
    env = {
        "DWATCH_DATA_DIR": str(data_dir),
        "DWATCH_TEMPORAL__ADDRESS": f"127.0.0.1:{port}",
        "DWATCH_TEMPORAL__UI_URL": f"http://127.0.0.1:{ui}",
        "DWATCH_WEB__PORT": str(web),
        # The sites are on loopback, which production refuses; politeness otherwise as configured.
        "DWATCH_CRAWL__ALLOW_PRIVATE_ADDRESSES": "true",
    }
    settings = Settings.from_env(env)
    assert settings.public_url == f"http://127.0.0.1:{web}"
    environ = os.environ | env | {"COLUMNS": "200"}
    with Farm(plan(len(SCENARIOS), YEAR, scenarios=SCENARIOS), YEAR) as farm, Inbox(data_dir) as inbox:
        registry = tmp_path / "registry.yaml"
        registry.write_text(yaml.safe_dump(_office_registry(farm, inbox), allow_unicode=True), encoding="utf-8")
        imported = subprocess.run([DWATCH, "registry", "import", str(registry)], env=environ, capture_output=True)
        assert imported.returncode == 0, imported.stderr.decode()

        with UntilCtrlC([DWATCH, "up"], environ) as up:
            deadline = time.monotonic() + 120
            while len(_statuses(settings)) < len(SCENARIOS) or not read_inbox(data_dir):
                assert time.monotonic() < deadline and up.running()
                time.sleep(0.5)
            assert _listening(port) and _listening(ui) and _listening(web)
            listed = subprocess.run(
                [DWATCH, "schedules", "list"], env=environ, capture_output=True, text=True, timeout=60
            )
            assert "dwatch/deadline/department" in listed.stdout and "dwatch/deadline/government" in listed.stdout

            links = {
                link
                for message in read_inbox(data_dir)
                for link in re.findall(r"https?://[^\s\"'<>)]+", message.body + (message.html or ""))
                if link.startswith(settings.public_url)
            }
            assert links, "no alert linked to the dashboard"
            for link in links:
                page = httpx.get(link, timeout=10, follow_redirects=True)
                assert page.status_code == 200 and "/login" not in str(page.url), link
            output = up.stop()
    assert up.process.returncode == 0, output
    assert "已开始检查全部机关" in output and settings.public_url in output and "已全部停止" in output
    assert "示范收件箱" not in output  # no demo parts on an office's registry
    statuses = _statuses(settings)
    assert sorted(statuses) == sorted(a.agency_id for a in farm.agencies)
    assert set(statuses.values()) == {"compliant", "defective", "missing"}
    assert not _listening(port) and not _listening(ui) and not _listening(web)
