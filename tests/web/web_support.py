"""Constants and helpers of the web tests (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario
from fastapi.testclient import TestClient

from dwatch.config import Settings

YEAR = 2025
PASSWORD = "correct horse battery"
SCENARIOS = [
    Scenario.COMPLIANT,
    Scenario.DEFECTIVE,
    Scenario.LATE,
    Scenario.MISSING,
    Scenario.REPLACED,
    Scenario.DOWN,
    Scenario.DEFECTIVE,
    Scenario.COMPLIANT,
]
# user name → roles; "chief" holds two roles, as a small office's head would.
USERS = {
    "sup": ["supervisor"],
    "ops": ["ops"],
    "aud": ["auditor"],
    "chief": ["supervisor", "ops"],
}


def web_settings(data_dir: Path, **web: object) -> Settings:
    return Settings.model_validate(
        {
            "data_dir": data_dir,
            # The farm is on loopback: allowed here, and politeness can be brisk.
            "crawl": {"allow_private_addresses": True, "per_host_interval": 0.05, "retry_backoff": 0.1},
            "web": {"session_secret": "test-secret-of-sufficient-length", **web},
        }
    )


def agency_with(farm: Farm, scenario: Scenario) -> str:
    return next(a.agency_id for a in farm.agencies if a.scenario is scenario)


def bearer(client: TestClient, user: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
