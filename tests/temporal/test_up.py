"""`dwatch up` as a newcomer runs it: results appear, then Ctrl-C stops everything (no orphan server)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from sqlalchemy import func, select
from temporal_support import DWATCH, UntilCtrlC, store_session

from dwatch.alerts.inbox import read_inbox
from dwatch.config import Settings
from dwatch.store.tables import AgencyStatus
from dwatch.temporal.devserver import free_port

AGENCIES = 12


def _statuses(settings: Settings) -> int:
    if not Path(settings.database_url.removeprefix("sqlite:///")).exists():
        return 0
    try:
        with store_session(settings) as session:
            return session.scalar(select(func.count()).select_from(AgencyStatus)) or 0
    except Exception:  # the schema is being created
        return 0


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_up_sweeps_the_demo_then_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port, ui, web = free_port(), free_port(), free_port()
    env = {
        "DWATCH_DATA_DIR": str(tmp_path / "var"),
        "DWATCH_TEMPORAL__ADDRESS": f"127.0.0.1:{port}",
        "DWATCH_TEMPORAL__UI_URL": f"http://127.0.0.1:{ui}",
        "DWATCH_WEB__PORT": str(web),
    }
    settings = Settings.from_env(env)
    with UntilCtrlC([DWATCH, "up", "--demo", "--agencies", str(AGENCIES)], os.environ | env) as up:
        deadline = time.monotonic() + 90
        while _statuses(settings) < AGENCIES:
            assert time.monotonic() < deadline and up.running()
            time.sleep(0.5)
        assert _listening(port) and _listening(ui) and _listening(web)
        output = up.stop()
    assert up.process.returncode == 0, output
    assert "Temporal 界面" in output and "已全部停止" in output
    assert not _listening(port) and not _listening(ui) and not _listening(web)
    assert (tmp_path / "var" / "temporal.sqlite").exists()  # histories survive the stop
    assert read_inbox(tmp_path / "var")
