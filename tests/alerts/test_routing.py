"""Routing by tags, and targets from apprise configuration files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alerts.receivers import Web, agency
from alerts.support import TODAY, YEAR, record_review
from dwatch.reports.compliance import ComplianceStatus

from dwatch.alerts.routing import AlertKind, AlertScope, AlertSeverity, accepts
from dwatch.alerts.service import send_digest
from dwatch.config import Settings

DIGEST_ERROR = AlertScope(kind=AlertKind.DIGEST, severity=AlertSeverity.ERROR, regions=frozenset({"431202"}))
RESOLVED = AlertScope(kind=AlertKind.RESOLVED, severity=AlertSeverity.INFO, regions=frozenset({"360791"}))


@pytest.mark.parametrize(
    ("tags", "digest_error", "resolved"),
    [
        ([], True, True),
        (["email", "值班"], True, True),
        (["kind.digest"], True, False),
        (["kind.immediate", "kind.resolved"], False, True),
        (["severity.warning"], True, False),
        (["region.4312"], True, False),
        (["region.36", "region.4312"], True, True),
        (["kind.digest", "region.36"], False, False),
    ],
)
def test_tags_restrict_by_kind_severity_and_region(tags: list[str], digest_error: bool, resolved: bool) -> None:
    assert accepts(tags, DIGEST_ERROR) is digest_error
    assert accepts(tags, RESOLVED) is resolved


def test_digest_goes_to_the_matching_targets_and_config_file_entries(
    make_store: Any, settings: Settings, web: Web, tmp_path: Path
) -> None:
    config = tmp_path / "apprise.yml"
    config.write_text(
        f"urls:\n  - json://127.0.0.1:{web.port}/from-config:\n    - tag: supervisor.city, kind.digest\n",
        encoding="utf-8",
    )
    notify = [
        {"url": f"json://127.0.0.1:{web.port}/digest", "tags": ["kind.digest"]},
        {"url": f"json://127.0.0.1:{web.port}/immediate", "tags": ["kind.immediate"]},
        {"url": f"json://127.0.0.1:{web.port}/other-region", "tags": ["region.36"]},
    ]
    store = make_store(
        [
            {"id": "city", "name": "市政务公开办", "notify": notify},
            {"id": "other", "name": "他市政务公开办", "notify": [{"url": f"json://127.0.0.1:{web.port}/other"}]},
        ],
        [agency("a1", "city"), agency("b1", "other")],
    )
    record_review(store, "a1", ComplianceStatus.MISSING)
    with_config = settings.model_copy(update={"alerts": settings.alerts.model_copy(update={"config_files": [config]})})

    send_digest(store, with_config, YEAR, sweep_id="sweep-1", today=TODAY, agency_ids=["a1"])

    assert sorted(r.path for r in web.requests) == ["/digest", "/from-config"]
    assert "机关a1" in web.at("/from-config")[0].json()["message"]
