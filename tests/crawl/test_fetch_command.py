"""`dwatch fetch` end to end: registry → farm sites → archive, with versions and conditional re-fetch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dwatch.demo.sitefarm import Farm, plan
from dwatch.demo.sitefarm.plan import Scenario
from typer.testing import CliRunner

from dwatch.cli import _register, app
from dwatch.config import Settings
from dwatch.store.database import Store
from dwatch.store.documents import versions

YEAR = 2024
SCENARIOS = [Scenario.COMPLIANT, Scenario.MISSING, Scenario.DOWN, Scenario.REPLACED, Scenario.OFF_HOST]


@pytest.fixture(scope="module")
def farm() -> Iterator[Farm]:
    farm = Farm(plan(len(SCENARIOS), YEAR, seed=11, scenarios=SCENARIOS), YEAR, seed=11)
    farm.prerender()
    with farm:
        yield farm


@pytest.fixture(autouse=True)
def env(tmp_path: Path, farm: Farm, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "DWATCH_DATA_DIR": str(tmp_path / "var"),
        "DWATCH_CRAWL__ALLOW_PRIVATE_ADDRESSES": "true",  # the farm is on loopback
        "DWATCH_CRAWL__PER_HOST_INTERVAL": "0.02",
        "DWATCH_CRAWL__RETRY_BACKOFF": "0.05",
        "DWATCH_CRAWL__READ_TIMEOUT": "2",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    registry = tmp_path / "registry.yaml"
    registry.write_text(yaml.safe_dump(farm.registry(), allow_unicode=True), encoding="utf-8")
    _register()
    result = CliRunner().invoke(app, ["registry", "import", str(registry)])
    assert result.exit_code == 0, result.output
    return values


def _fetch(*args: str) -> dict[str, dict]:
    result = CliRunner().invoke(app, ["fetch", "--year", str(YEAR), "--json", *args])
    assert result.exit_code == 0, result.output
    return {r["agency_id"]: r for r in json.loads(result.output)}


def test_fetch_archives_each_found_report_once_and_then_versions_changes(farm: Farm) -> None:
    by_scenario = {a.scenario: a for a in farm.agencies}
    first = _fetch()
    assert {first[a.agency_id]["outcome"] for a in farm.agencies if a.expected_outcome == "found"} == {"found"}
    assert first[by_scenario[Scenario.MISSING].agency_id]["outcome"] == "missing"
    assert first[by_scenario[Scenario.DOWN].agency_id]["failure"] == "http-status"
    assert first[by_scenario[Scenario.OFF_HOST].agency_id]["failure"] == "host-not-allowed"

    replaced = by_scenario[Scenario.REPLACED]
    assert first[replaced.agency_id]["version"] == 1 and first[replaced.agency_id]["new_version"]

    again = _fetch(replaced.agency_id)[replaced.agency_id]
    assert again["version"] == 1 and not again["new_version"]
    assert again["not_modified"] or again["sha256"] == first[replaced.agency_id]["sha256"]

    farm.app.replace(replaced.agency_id)
    changed = _fetch(replaced.agency_id)[replaced.agency_id]
    assert changed["version"] == 2 and changed["new_version"]
    assert changed["sha256"] != first[replaced.agency_id]["sha256"]

    store = Store.open(Settings.from_env())
    try:
        with store.session() as session:
            kept = versions(session, replaced.agency_id, YEAR)
        assert [v.version for v in kept] == [1, 2]
        assert store.blobs.get(kept[1].sha256) == farm.app.document(replaced.agency_id)
        assert kept[0].published_on == replaced.published
    finally:
        store.close()


def test_discover_does_not_archive() -> None:
    result = CliRunner().invoke(app, ["discover", "--year", str(YEAR), "--json"])
    assert result.exit_code == 0, result.output
    assert all(r["version"] is None for r in json.loads(result.output))


def test_unknown_agency_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["fetch", "no-such-agency", "--year", str(YEAR)])
    assert result.exit_code == 2
    assert "no-such-agency" in result.output
